/**
 * Running a plan: the runs still to do in `jobs` parallel worker processes. A failed
 * run does not stop the others; it is reported at the end. A stopped sweep (Ctrl-C,
 * SIGTERM) kills its workers; rerunning it skips every finished run (their
 * `summary.json` is written last, atomically, by the worker) and redoes the rest.
 *
 * @module
 */
import type { PlannedRun } from "./plan.ts";
import { finishedHash } from "./plan.ts";
import type { ProgressSink } from "./progress.ts";
import {
  defaultWorker,
  runArgs,
  startWorker,
  type WorkerCommand,
  type WorkerFlags,
  type WorkerHandle,
} from "./worker.ts";

/** A run that failed. */
export interface FailedRun {
  /** Run id. */
  runId: string;
  /** Worker exit code. */
  code: number;
  /** Worker log file. */
  log: string;
  /** Last lines of its output. */
  tail: string;
}

/** The outcome of a sweep. */
export interface SweepResult {
  /** Runs planned. */
  total: number;
  /** Runs skipped because they were already done. */
  skipped: string[];
  /** Runs finished by this sweep. */
  done: string[];
  /** Runs that failed. */
  failed: FailedRun[];
  /** Runs whose method is not implemented. */
  notImplemented: string[];
  /** Runs not started because the sweep was stopped. */
  notStarted: string[];
  /** Whether the sweep was stopped by a signal. */
  interrupted: boolean;
}

/** Options of {@linkcode runSweep}. */
export interface SweepOptions extends WorkerFlags {
  /** Parallel workers (default: the number of cores). */
  jobs?: number;
  /** Worker command (default: `deno run -A main.ts run`). */
  worker?: WorkerCommand;
  /** Progress display. */
  progress?: ProgressSink;
  /** Stop the sweep on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

/**
 * The log file of a run: `<out>/runs/.logs/<experiment>/<run-id>.log` (inside the git-ignored `runs/`).
 *
 * @example
 * ```ts
 * logPath("results", "table2", "ibml__crema-d__s0"); // "results/runs/.logs/table2/ibml__crema-d__s0.log"
 * ```
 */
export function logPath(out: string, experiment: string, runId: string): string {
  return `${out.replace(/\/+$/, "")}/runs/.logs/${experiment}/${runId}.log`;
}

/**
 * Runs the plan's `todo` runs.
 *
 * @example
 * ```ts ignore
 * const result = await runSweep(plan, { out: "results", jobs: 2 });
 * result.failed.length; // 0
 * ```
 */
export async function runSweep(plan: PlannedRun[], opts: SweepOptions): Promise<SweepResult> {
  const todo = plan.filter((r) => r.state === "todo");
  const result: SweepResult = {
    total: plan.length,
    skipped: plan.filter((r) => r.state === "done").map((r) => r.runId),
    done: [],
    failed: [],
    notImplemented: plan.filter((r) => r.state === "not implemented").map((r) => r.runId),
    notStarted: [],
    interrupted: false,
  };
  const jobs = Math.max(
    1,
    Math.min(opts.jobs ?? navigator.hardwareConcurrency ?? 1, todo.length || 1),
  );
  const worker = opts.worker ?? defaultWorker();
  const running = new Set<WorkerHandle>();
  const stop = () => {
    result.interrupted = true;
    for (const w of running) w.kill();
  };
  const signals: Deno.Signal[] = opts.handleSignals === false ? [] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  opts.progress?.start(todo.length, result.skipped.length, jobs);
  let next = 0;
  const lane = async () => {
    while (next < todo.length && !result.interrupted) {
      const run = todo[next++];
      const log = logPath(opts.out, run.experiment, run.runId);
      opts.progress?.runStarted(run.runId);
      const handle = startWorker(worker, runArgs(run, opts), log);
      running.add(handle);
      const r = await handle.done;
      running.delete(handle);
      let ok = r.code === 0;
      let tail = r.tail;
      if (ok && (await finishedHash(run.dir)) !== run.configHash) {
        ok = false;
        tail =
          `worker exited 0 but ${run.dir}/summary.json is missing or has another config hash\n${tail}`;
      }
      if (!ok && result.interrupted) {
        // Stopped by the user, not failed: it runs again on restart.
        result.notStarted.push(run.runId);
        continue;
      }
      if (ok) result.done.push(run.runId);
      else result.failed.push({ runId: run.runId, code: r.code, log, tail });
      opts.progress?.runFinished(run.runId, ok, r.seconds);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, lane));
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
    opts.progress?.stop(result.interrupted);
  }
  result.notStarted.push(...todo.slice(next).map((r) => r.runId));
  return result;
}
