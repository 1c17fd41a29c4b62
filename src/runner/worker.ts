/**
 * Worker processes: one `main.ts run ...` per run (or an injected command, e.g. a fake
 * worker in tests), its output kept in a log file, killable when the sweep is stopped.
 *
 * @module
 */
import type { PlannedRun } from "./plan.ts";
import { V8_FLAGS_ARG } from "../v8_flags.ts";
import { hugePagesEnv } from "../backend/huge_pages.ts";
import { childPermissionFlags } from "./permissions.ts";

/** Flags every worker of a sweep gets. */
export interface WorkerFlags {
  /** Output root. */
  out: string;
  /** Backend request (`auto`, `wasm`, ...). */
  backend?: string;
  /** Data root (paper profile). */
  dataRoot?: string;
  /** Decoding cache folder (`--cache-dir`). */
  cacheDir?: string;
}

/** How to start a worker. */
export interface WorkerCommand {
  /** Executable. */
  command: string;
  /** Arguments before the `run` sub-command's own flags. */
  prefix: string[];
}

/**
 * The default worker: this Deno executable running the project's `main.ts run`, with
 * the sweep's own permission set, never a wider one (`-A` only when the sweep has every
 * permission; under `deno run -P`: read, env, run, sys, ffi, and write access to `--out`
 * and the project's `results/` and `docs/`; see `permissions.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultWorker } from "./worker.ts";
 * // ["run", "-A"] under deno run -A; under -P the flags of this process's permissions
 * const w = defaultWorker({ out: "results" });
 * assert.equal(w.command, Deno.execPath());
 * assert.equal(w.prefix[0], "run");
 * assert.equal(w.prefix.at(-1), "run"); // main.ts's "run" command
 * ```
 */
export function defaultWorker(flags?: WorkerFlags): WorkerCommand {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const perms = childPermissionFlags({
    writePaths: flags ? [flags.out, ...(flags.cacheDir ? [flags.cacheDir] : [])] : [],
    readPaths: flags?.dataRoot ? [flags.dataRoot] : [],
  });
  return { command: Deno.execPath(), prefix: ["run", ...perms, V8_FLAGS_ARG, main, "run"] };
}

/**
 * The `run` sub-command's flags for one planned run (the CLI contract of `main.ts run`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runArgs } from "./worker.ts";
 * import { planRuns } from "./plan.ts";
 * import { expandRuns } from "../experiment/expand.ts";
 * import { parseExperiment } from "../experiment/schema.ts";
 * const exp = parseExperiment(
 *   "title: t\nmethods: [ibml]\ndatasets: [crema-d]\nseeds: [0]\n" +
 *     "profiles: {quick: {epochs: 2}, paper: {}}\nreport: {kind: ratio-table}\n",
 *   "demo.yaml",
 * );
 * const [run] = await planRuns(expandRuns(exp), { hash: () => "h", implemented: () => true }, { out: "results" });
 * assert.deepEqual(runArgs(run, { out: "results" }).slice(0, 8), ["--method", "ibml", "--dataset", "crema-d", "--seed", "0", "--profile", "quick"]);
 * ```
 */
export function runArgs(run: PlannedRun, flags: WorkerFlags): string[] {
  const args = [
    "--method",
    run.method,
    "--dataset",
    run.dataset,
    "--seed",
    String(run.seed),
    "--profile",
    run.profile,
  ];
  if (run.epochs !== undefined) args.push("--epochs", String(run.epochs));
  for (const s of run.sets) args.push("--set", s);
  args.push("--out", flags.out, "--experiment", run.experiment, "--run-id", run.runId);
  if (run.variant !== null) args.push("--variant", run.variant);
  if (flags.backend) args.push("--backend", flags.backend);
  if (flags.dataRoot) args.push("--data-root", flags.dataRoot);
  if (flags.cacheDir) args.push("--cache-dir", flags.cacheDir);
  return args;
}

/** How a worker ended. */
export interface WorkerResult {
  /** Exit code (a worker ended by a signal reports 128 + the signal number). */
  code: number;
  /** Seconds it ran. */
  seconds: number;
  /** The last lines of its output. */
  tail: string;
}

/** A running worker. */
export interface WorkerHandle {
  /** Resolves when the worker ends. */
  done: Promise<WorkerResult>;
  /** Stops it (SIGTERM). */
  kill(): void;
}

/**
 * Starts a worker with its output written to `logPath` (and `env` added to its
 * environment, after the huge-page tunable of ../backend/huge_pages.ts, which `env` may
 * override).
 *
 * @example
 * ```ts ignore
 * // not run: spawns a training subprocess
 * const w = startWorker(defaultWorker(), runArgs(run, flags), "results/logs/table2/x.log");
 * (await w.done).code;
 * ```
 */
export function startWorker(
  cmd: WorkerCommand,
  args: string[],
  logPath: string,
  env?: Record<string, string>,
): WorkerHandle {
  const started = performance.now();
  Deno.mkdirSync(logPath.slice(0, logPath.lastIndexOf("/")) || ".", { recursive: true });
  const log = Deno.openSync(logPath, { write: true, create: true, truncate: true });
  const child = new Deno.Command(cmd.command, {
    args: [...cmd.prefix, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { ...hugePagesEnv(), ...env },
  }).spawn();
  let tail = "";
  const enc = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      log.writeSync(chunk);
      tail = (tail + enc.decode(chunk, { stream: true })).slice(-4000);
    }
  };
  const done = (async (): Promise<WorkerResult> => {
    await Promise.all([pump(child.stdout), pump(child.stderr)]);
    const status = await child.status;
    log.close();
    const code = status.code;
    const lines = tail.trimEnd().split("\n").slice(-5).join("\n");
    return { code, seconds: (performance.now() - started) / 1000, tail: lines };
  })();
  return {
    done,
    kill() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
    },
  };
}
