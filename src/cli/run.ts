/**
 * `main.ts run --method M --dataset D [--profile quick|paper] [--epochs N] [--seed S]
 *  [--set key=value ...] [--out DIR] [--backend B] [--data-root DIR] [--tensorboard DIR]`:
 *  train one run (`--tensorboard`: per-epoch scalars for TensorBoard, native engine only).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BACKEND_REQUESTS, type BackendRequest } from "../backend.ts";
import { RunHeldError, runOne } from "../runner/run_one.ts";
import { joinNegativeValues, MAX_COUNT } from "../runner/flags.ts";
import { PARENT_PID_ENV, watchParents } from "../runner/parent_watch.ts";
import { defaultOut } from "../runner/permissions.ts";
import { TENSORBOARD_ENV } from "../runner/tensorboard.ts";
import type { Profile } from "../config/types.ts";
import { resolveConfig } from "../resolve/resolve_config.ts";
import { reportError, UsageError } from "./errors.ts";

const USAGE =
  "usage: main.ts run --method M --dataset D [--profile quick|paper] [--epochs N] [--seed S] [--set key=value ...] [--out DIR] [--backend auto|tensorflow|wasm|webgpu|cpu] [--data-root DIR] [--cache-dir DIR] [--tensorboard DIR]";

function intFlag(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  const kind = min === 0 ? "a non-negative integer" : "a positive integer";
  if (!Number.isInteger(v) || v < min) {
    throw new UsageError(`--${name} must be ${kind} (got '${raw}')`);
  }
  if (v > MAX_COUNT) {
    throw new UsageError(`--${name} must be ${kind} of at most ${MAX_COUNT} (got '${raw}')`);
  }
  return v;
}

/** A worker started by a sweep stops when the sweep is gone (parent_watch.ts). */
function stopWithParent(): void {
  let parent: string | undefined;
  try {
    parent = Deno.env.get(PARENT_PID_ENV);
  } catch {
    return;
  }
  if (!parent) return;
  watchParents(() => {
    console.error(
      "error: the sweep that started this run is gone; stopping (finished epochs are kept in the checkpoint)",
    );
    Deno.exit(143);
  });
}

/**
 * Entry point of `run`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["--method", "ibml", "--dataset", "crema-d", "--epochs", "5"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: joinNegativeValues(args, ["epochs", "seed"]),
        options: {
          method: { type: "string" },
          dataset: { type: "string" },
          profile: { type: "string" },
          epochs: { type: "string" },
          seed: { type: "string" },
          set: { type: "string", multiple: true },
          out: { type: "string" },
          backend: { type: "string" },
          "data-root": { type: "string" },
          "cache-dir": { type: "string" },
          experiment: { type: "string" },
          "run-id": { type: "string" },
          tensorboard: { type: "string" },
          variant: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
        strict: true,
        allowPositionals: false,
      });
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    const v = parsed.values;
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (!v.method) throw new UsageError(`--method is required\n${USAGE}`);
    if (!v.dataset) throw new UsageError(`--dataset is required\n${USAGE}`);
    const backend = (v.backend ?? "auto") as BackendRequest;
    if (!BACKEND_REQUESTS.includes(backend)) {
      throw new UsageError(
        `unknown backend '${v.backend}'. Valid backends: ${BACKEND_REQUESTS.join(", ")}`,
      );
    }
    const config = resolveConfig({
      method: v.method,
      dataset: v.dataset,
      profile: v.profile as Profile | undefined,
      epochs: intFlag("epochs", v.epochs, 1),
      seed: intFlag("seed", v.seed, 0),
      sets: v.set ?? [],
      dataRoot: v["data-root"],
    });
    stopWithParent();
    const outcome = await runOne({
      config,
      out: v.out ?? defaultOut(),
      experiment: v.experiment,
      runId: v["run-id"],
      variant: v.variant ?? null,
      cacheDir: v["cache-dir"],
      tensorboard: v.tensorboard ?? (Deno.env.get(TENSORBOARD_ENV) || undefined),
      backend,
      log: (line) => console.error(line),
    });
    const s = outcome.summary;
    if (outcome.skipped) console.error(`already done (same config): ${outcome.dir}`);
    const fmt = (
      x: number | null | undefined,
    ) => (x === null || x === undefined ? "-" : (100 * x).toFixed(2));
    const mods = s.modalities.map((m) => `${m} ${fmt(s.final[m])}`).join("  ");
    console.log(
      `final: fusion ${fmt(s.final.fusion)}  ${mods}  ratio_mean ${
        s.ratio_mean === null ? "-" : s.ratio_mean.toFixed(3)
      }`,
    );
    console.log(
      `best (epoch ${s.best.epoch}, selected on ${s.selected_on}): fusion ${fmt(s.best.fusion)}  ${
        s.modalities.map((m) => `${m} ${fmt(s.best[m])}`).join("  ")
      }`,
    );
    console.log(`run folder: ${outcome.dir}`);
    return 0;
  } catch (e) {
    if (e instanceof RunHeldError) {
      // Contract (run_one.ts): a run another process holds is not an error.
      console.log(`${e.message}; not started here`);
      return 0;
    }
    return reportError(e);
  }
}
