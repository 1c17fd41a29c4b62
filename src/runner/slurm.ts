/**
 * Talking to Slurm: `sbatch` (submit), `squeue` (the queue, array tasks one per line),
 * `sacct` (finished jobs, where accounting is enabled) and the record of a sweep's
 * submissions, `<out>/runs/.slurm/<experiment>/submissions.jsonl`, which maps each array
 * task back to its run id.
 *
 * @module
 */
import { UsageError } from "./usage_error.ts";

/**
 * The folder of an experiment's Slurm scripts, task outputs, exit files and submissions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(slurmStateDir("results", "table5"), "results/runs/.slurm/table5");
 * ```
 */
export function slurmStateDir(out: string, experiment: string): string {
  return `${out.replace(/\/+$/, "")}/runs/.slurm/${experiment}`;
}

/** One `sbatch` submission of a sweep. */
export interface Submission {
  /** Job id of the array. */
  arrayJob: string;
  /** Job id of the report job. */
  reportJob: string;
  /** The array script. */
  script: string;
  /** The report job's script. */
  reportScript: string;
  /** When it was submitted (ISO time). */
  submitted: string;
  /** Run id of each array task, by index. */
  tasks: string[];
}

/** A job or array task in the queue. */
export interface QueueEntry {
  /** Job id (`123` for a plain job, the array's job id for an array task). */
  job: string;
  /** Array task index, or null for a plain job. */
  task: number | null;
  /** Slurm state (`PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, ...). */
  state: string;
  /** Reason or node list. */
  reason: string;
}

/** States after which a job no longer changes. */
const TERMINAL = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "OUT_OF_MEMORY",
  "NODE_FAIL",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
  "SPECIAL_EXIT",
  "REVOKED",
]);

/**
 * Whether a Slurm state is final.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isTerminal("COMPLETED"));
 * assert.equal(isTerminal("PENDING"), false);
 * ```
 */
export function isTerminal(state: string): boolean {
  return TERMINAL.has(state.split(" ")[0].replace(/\+$/, ""));
}

/** A Slurm command is missing or failed (exit code 1, one line). */
export class SlurmError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SlurmError";
  }
}

function hasCommand(name: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

/**
 * Throws a {@linkcode UsageError} naming the package to install when `sbatch` is not on
 * the PATH.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { haveSlurm, requireSbatch } from "./slurm.ts";
 * if (haveSlurm()) requireSbatch(); // passes
 * else assert.throws(() => requireSbatch(), /sbatch/); // throws on a machine without Slurm
 * ```
 */
export function requireSbatch(): void {
  if (hasCommand("sbatch")) return;
  throw new UsageError(
    "--launcher slurm needs sbatch, which is not on the PATH: install the Slurm client " +
      "(Debian/Ubuntu: apt-get install slurm-client; a whole one-machine Slurm: apt-get install " +
      "slurm-wlm munge, see docs/reproducing.md), or use --launcher local",
  );
}

/**
 * Whether `sbatch` is on the PATH.
 *
 * @example
 * ```ts
 * import { haveSlurm } from "./slurm.ts";
 * if (!haveSlurm()) console.log("no Slurm here");
 * ```
 */
export function haveSlurm(): boolean {
  return hasCommand("sbatch");
}

async function exec(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
    const dec = new TextDecoder();
    return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${cmd}: command not found` };
    }
    throw e;
  }
}

/**
 * Submits a batch script with `sbatch --parsable [extra args]`; returns the job id.
 *
 * @example
 * ```ts ignore
 * // not run: submits a job to Slurm (runs sbatch)
 * const job = await sbatch("results/runs/.slurm/table5/array.sbatch");
 * ```
 */
export async function sbatch(script: string, args: string[] = []): Promise<string> {
  const r = await exec("sbatch", ["--parsable", ...args, script]);
  const id = r.stdout.trim().split(";")[0];
  if (r.code !== 0 || !/^\d+$/.test(id)) {
    throw new SlurmError(
      `sbatch ${[...args, script].join(" ")} failed (exit code ${r.code}): ${
        (r.stderr || r.stdout).trim().split("\n").join(" / ")
      }`,
    );
  }
  return id;
}

/**
 * The queue entries of the given jobs (array tasks one per entry), including jobs that
 * ended recently (Slurm keeps them for `MinJobAge`). Jobs Slurm no longer knows are absent.
 *
 * @example
 * ```ts ignore
 * // not run: asks Slurm (runs squeue)
 * (await squeue(["123"])).filter((e) => e.state === "RUNNING").length;
 * ```
 */
export async function squeue(jobs: string[]): Promise<QueueEntry[]> {
  if (jobs.length === 0) return [];
  const r = await exec("squeue", ["-h", "-r", "-t", "all", "--me", "-o", "%F|%K|%T|%R"]);
  if (r.code !== 0) {
    throw new SlurmError(`squeue failed (exit code ${r.code}): ${r.stderr.trim()}`);
  }
  const wanted = new Set(jobs);
  const out: QueueEntry[] = [];
  for (const line of r.stdout.split("\n")) {
    const [job, task, state, reason] = line.trim().split("|");
    if (!job || !wanted.has(job)) continue;
    const t = Number(task);
    // squeue writes a pending job's reason in parentheses: "(Resources)".
    const why = (reason ?? "").replace(/^\((.*)\)$/, "$1");
    out.push({ job, task: task !== "N/A" && Number.isInteger(t) ? t : null, state, reason: why });
  }
  return out;
}

/**
 * Finished jobs from `sacct` (`JobID` such as `123_4` → state and exit code), or an empty
 * map where accounting is disabled or `sacct` is missing.
 *
 * @example
 * ```ts ignore
 * // not run: asks Slurm's accounting (runs sacct)
 * (await sacct(["123"])).get("123_4"); // { state: "FAILED", exitCode: "1:0" }
 * ```
 */
export async function sacct(
  jobs: string[],
): Promise<Map<string, { state: string; exitCode: string }>> {
  const map = new Map<string, { state: string; exitCode: string }>();
  if (jobs.length === 0) return map;
  const r = await exec("sacct", [
    "-n",
    "-P",
    "-X",
    "-j",
    jobs.join(","),
    "-o",
    "JobID,State,ExitCode",
  ]);
  if (r.code !== 0) return map;
  for (const line of r.stdout.split("\n")) {
    const [id, state, exitCode] = line.trim().split("|");
    if (id && state) map.set(id, { state, exitCode: exitCode ?? "" });
  }
  return map;
}

/**
 * Appends a submission to `submissions.jsonl`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSubmissions, recordSubmission, slurmStateDir } from "./slurm.ts";
 * const out = await Deno.makeTempDir();
 * const submission = {
 *   arrayJob: "123", reportJob: "124", script: "array.sbatch", reportScript: "report.sbatch",
 *   submitted: "2026-12-05T08:00:00.000Z", tasks: ["full__crema-d__s0"],
 * };
 * await recordSubmission(slurmStateDir(out, "table5"), submission);
 * assert.deepEqual(await readSubmissions(slurmStateDir(out, "table5")), [submission]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function recordSubmission(stateDir: string, s: Submission): Promise<void> {
  await Deno.mkdir(stateDir, { recursive: true });
  await Deno.writeTextFile(`${stateDir}/submissions.jsonl`, JSON.stringify(s) + "\n", {
    append: true,
  });
}

/**
 * The submissions of an experiment, oldest first (an unreadable line is skipped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSubmissions, recordSubmission, slurmStateDir } from "./slurm.ts";
 * const state = slurmStateDir(await Deno.makeTempDir(), "table5");
 * assert.deepEqual(await readSubmissions(state), []); // nothing submitted yet
 * const s = { arrayJob: "123", reportJob: "124", script: "a", reportScript: "r", submitted: "", tasks: [] };
 * await recordSubmission(state, s);
 * await recordSubmission(state, { ...s, arrayJob: "125" });
 * assert.equal((await readSubmissions(state)).at(-1)?.arrayJob, "125");
 * ```
 */
export async function readSubmissions(stateDir: string): Promise<Submission[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(`${stateDir}/submissions.jsonl`);
  } catch {
    return [];
  }
  const out: Submission[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const s = JSON.parse(line);
      if (typeof s?.arrayJob === "string" && Array.isArray(s.tasks)) out.push(s);
    } catch { /* a torn line */ }
  }
  return out;
}

/** What a run's last array task left in `<run-id>.exit`. */
export interface ExitRecord {
  /** Exit code of `main.ts run`. */
  code: number;
  /** `<array job>_<task>`. */
  job: string;
  /** Node. */
  host: string;
  /** When it ended. */
  ended: string;
}

/**
 * Reads a run's exit file, or null when it has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readExit } from "./slurm.ts";
 * const state = await Deno.makeTempDir();
 * assert.equal(await readExit(state, "a__d__s0"), null); // the task has not ended
 * const exit = { code: 1, job: "123_0", host: "node1", ended: "2026-12-05T08:00:00.000Z" };
 * await Deno.writeTextFile(`${state}/a__d__s0.exit`, JSON.stringify(exit));
 * assert.equal((await readExit(state, "a__d__s0"))?.code, 1);
 * await Deno.remove(state, { recursive: true });
 * ```
 */
export async function readExit(stateDir: string, runId: string): Promise<ExitRecord | null> {
  try {
    const o = JSON.parse(await Deno.readTextFile(`${stateDir}/${runId}.exit`));
    return typeof o?.code === "number" ? o as ExitRecord : null;
  } catch {
    return null;
  }
}

/** A run's place in the queue, from the latest submission that holds it. */
export interface QueuedRun {
  /** `<array job>_<task>`. */
  job: string;
  /** The array's job id. */
  arrayJob: string;
  /** Slurm state. */
  state: string;
  /** Reason or node. */
  reason: string;
  /** Slurm's output file of the task. */
  output: string;
}

/**
 * Maps run ids to their array task in the queue, from the experiment's submissions
 * (the latest submission of a run wins). Runs whose task Slurm no longer lists are absent.
 *
 * @example
 * ```ts ignore
 * // not run: asks Slurm's queue (runs squeue)
 * const q = await queuedRuns(slurmStateDir("results", "table5"));
 * q.get("full__crema-d__s0")?.state; // "RUNNING"
 * ```
 */
export async function queuedRuns(
  stateDir: string,
  submissions?: Submission[],
): Promise<Map<string, QueuedRun>> {
  const subs = submissions ?? await readSubmissions(stateDir);
  const map = new Map<string, QueuedRun>();
  if (subs.length === 0) return map;
  const entries = await squeue(subs.map((s) => s.arrayJob));
  const byKey = new Map(entries.map((e) => [`${e.job}_${e.task}`, e]));
  for (const s of subs) {
    s.tasks.forEach((runId, i) => {
      const e = byKey.get(`${s.arrayJob}_${i}`);
      if (!e) return;
      map.set(runId, {
        job: `${s.arrayJob}_${i}`,
        arrayJob: s.arrayJob,
        state: e.state,
        reason: e.reason,
        output: `${stateDir}/slurm-${s.arrayJob}_${i}.out`,
      });
    });
  }
  return map;
}

/**
 * Waits until none of `jobs` is pending or running any more (Slurm no longer lists
 * them, or lists them in a final state). Calls `onChange` with a one-line summary when
 * the counts change. Resolves false when `signal` aborts first.
 *
 * @example
 * ```ts ignore
 * // not run: polls Slurm (runs squeue) until the jobs leave the queue
 * await waitForJobs(["123", "124"], { pollMs: 2000 });
 * ```
 */
export async function waitForJobs(
  jobs: string[],
  opts: { pollMs?: number; signal?: AbortSignal; onChange?: (line: string) => void } = {},
): Promise<boolean> {
  const pollMs = opts.pollMs ?? 5000;
  let last = "";
  while (!opts.signal?.aborted) {
    const entries = await squeue(jobs);
    const live = entries.filter((e) => !isTerminal(e.state));
    const counts = new Map<string, number>();
    for (const e of entries) counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
    const line = [...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
    if (line && line !== last) opts.onChange?.(line);
    last = line;
    if (live.length === 0) return true;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, pollMs);
      opts.signal?.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
  return false;
}

/**
 * The last `n` non-empty lines of a file, or null when it cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastLines } from "./slurm.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.log`, "one\ntwo\n\nthree\n");
 * assert.equal(await lastLines(`${dir}/a.log`, 2), "two\nthree");
 * assert.equal(await lastLines(`${dir}/none.log`, 2), null);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function lastLines(path: string, n: number): Promise<string | null> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").filter((l) => l.trim()).slice(-n).join("\n");
  } catch {
    return null;
  }
}
