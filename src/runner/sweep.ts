/**
 * Running a plan: the runs still to do in `jobs` parallel worker processes. A failed
 * run does not stop the others; it is reported at the end. A stopped sweep (Ctrl-C,
 * SIGTERM, or the `npx`/`deno task` wrapper it was started by gone) kills its workers;
 * rerunning it skips every finished run (their `summary.json` is written last,
 * atomically, by the worker) and redoes the rest.
 *
 * Sweeps on one `--out` share the work: before starting a worker the sweep claims the
 * run (`claim.ts`: `<run-dir>.lock`, atomic) and hands the claim to the worker
 * (`IBML_RUN_CLAIM`); a run another live process holds is "running elsewhere" and is
 * checked again once this sweep's queue is empty: finished there ("done elsewhere"),
 * given up there (then run here), or still held (waited for; with `wait: false`,
 * reported).
 *
 * @module
 */
import type { PlannedRun } from "./plan.ts";
import { finishedHash } from "./plan.ts";
import type { ProgressSink } from "./progress.ts";
import { CLAIM_TOKEN_ENV, claimRun, currentHolder, describeOwner, type RunClaim } from "./claim.ts";
import { PARENT_PID_ENV, watchParents } from "./parent_watch.ts";
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

/** A run another process holds (its claim, `<run-dir>.lock`, names a live owner). */
export interface ElsewhereRun {
  /** Run id. */
  runId: string;
  /** The holder, as {@linkcode describeOwner} words it. */
  holder: string;
}

/** The outcome of a sweep. */
export interface SweepResult {
  /** Runs planned. */
  total: number;
  /** Runs skipped because they were already done. */
  skipped: string[];
  /** Runs finished by this sweep. */
  done: string[];
  /** Runs another process (another sweep on the same `--out`) finished meanwhile. */
  doneElsewhere: string[];
  /** Runs still held by another process when the sweep ended (only with `wait: false`). */
  elsewhere: ElsewhereRun[];
  /** Runs that failed. */
  failed: FailedRun[];
  /** Runs whose method is not implemented. */
  notImplemented: string[];
  /** Runs not started because the sweep was stopped. */
  notStarted: string[];
  /** Whether the sweep was stopped by a signal. */
  interrupted: boolean;
}

/**
 * The result of a sweep that has not run anything yet: the plan's done runs as skipped and
 * its unimplemented ones listed; every launcher starts from it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sweepResultOf } from "./sweep.ts";
 * assert.equal(sweepResultOf([]).total, 0);
 * ```
 */
export function sweepResultOf(plan: PlannedRun[]): SweepResult {
  return {
    total: plan.length,
    skipped: plan.filter((r) => r.state === "done").map((r) => r.runId),
    done: [],
    doneElsewhere: [],
    elsewhere: [],
    failed: [],
    notImplemented: plan.filter((r) => r.state === "not implemented").map((r) => r.runId),
    notStarted: [],
    interrupted: false,
  };
}

/** Options of {@linkcode runSweep}. */
export interface SweepOptions extends WorkerFlags {
  /** Parallel workers (default: the number of cores). */
  jobs?: number;
  /** Worker command (default: `deno run <this process's permissions> main.ts run`). */
  worker?: WorkerCommand;
  /** Progress display. */
  progress?: ProgressSink;
  /**
   * Stop the sweep on SIGINT/SIGTERM, and when the wrapper processes it was started by
   * (`npx`, `deno task`) are gone (default true).
   */
  handleSignals?: boolean;
  /**
   * Wait for runs another process holds, and redo those it gave up (default true); with
   * false they are reported in `elsewhere`.
   */
  wait?: boolean;
  /** How often held runs are checked while waiting, in ms (default 2000). */
  pollMs?: number;
}
/**
 * The log file of a run: `<out>/runs/.logs/<experiment>/<run-id>.log` (inside the git-ignored `runs/`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(logPath("results", "table2", "ibml__crema-d__s0"), "results/runs/.logs/table2/ibml__crema-d__s0.log");
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
 * // not run: starts a training subprocess per run
 * const result = await runSweep(plan, { out: "results", jobs: 2 });
 * result.failed.length; // 0
 * ```
 */
export async function runSweep(plan: PlannedRun[], opts: SweepOptions): Promise<SweepResult> {
  const todo = plan.filter((r) => r.state === "todo" || r.state === "running elsewhere");
  const result = sweepResultOf(plan);
  const jobs = Math.max(
    1,
    Math.min(opts.jobs ?? navigator.hardwareConcurrency ?? 1, todo.length || 1),
  );
  const worker = opts.worker ?? defaultWorker(opts);
  const wait = opts.wait !== false;
  const pollMs = opts.pollMs ?? 2000;
  const running = new Set<WorkerHandle>();
  const queue = plan.filter((r) => r.state === "todo");
  // Runs another process holds: checked again when the queue is empty.
  const deferred = new Map<string, { run: PlannedRun; holder: string }>();
  for (const r of plan.filter((r) => r.state === "running elsewhere")) {
    deferred.set(r.runId, { run: r, holder: describeOwner(currentHolder(r.dir)) });
  }
  const wakers = new Set<() => void>();
  const stop = () => {
    result.interrupted = true;
    for (const w of running) w.kill();
    for (const w of wakers) w();
  };
  const signals: Deno.Signal[] = opts.handleSignals === false ? [] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  const unwatch = opts.handleSignals === false ? () => {} : watchParents(() => {
    opts.progress?.note?.("the process that started this sweep is gone: stopping the workers");
    stop();
  });
  opts.progress?.start(todo.length, result.skipped.length, jobs);
  for (const [id, d] of deferred) opts.progress?.note?.(`running elsewhere: ${id} (${d.holder})`);

  const settleElsewhere = (run: PlannedRun) => {
    result.doneElsewhere.push(run.runId);
    opts.progress?.elsewhere?.(run.runId);
  };
  /** Re-examines held runs: finished elsewhere, given up (back to the queue), still held. */
  const recheck = async () => {
    for (const [id, d] of [...deferred]) {
      if ((await finishedHash(d.run.dir)) === d.run.configHash) {
        deferred.delete(id);
        settleElsewhere(d.run);
      } else if (currentHolder(d.run.dir) === null) {
        deferred.delete(id);
        queue.push(d.run);
      }
    }
  };
  let waitingSaid = false;
  let busy = 0;
  const take = async (): Promise<PlannedRun | null> => {
    while (!result.interrupted) {
      if (queue.length > 0) return queue.shift()!;
      if (deferred.size === 0) return null;
      await recheck();
      if (queue.length > 0) continue;
      if (deferred.size === 0) return null;
      if (!wait) {
        if (busy > 0) {
          await new Promise<void>((r) => setTimeout(r, pollMs));
          continue;
        }
        return null;
      }
      if (!waitingSaid && busy === 0) {
        waitingSaid = true;
        opts.progress?.note?.(
          `waiting for ${deferred.size} runs running elsewhere: ${
            [...deferred.values()].map((d) => `${d.run.runId} (${d.holder})`).join(", ")
          }`,
        );
      }
      await new Promise<void>((r) => {
        const done = () => {
          clearTimeout(t);
          wakers.delete(done);
          r();
        };
        const t = setTimeout(done, pollMs);
        wakers.add(done);
      });
    }
    return null;
  };

  const lane = async () => {
    for (let run = await take(); run !== null; run = await take()) {
      if ((await finishedHash(run.dir)) === run.configHash) {
        settleElsewhere(run);
        continue;
      }
      const c = await claimRun(run.dir);
      if (!c.claimed) {
        const holder = describeOwner(c.heldBy);
        deferred.set(run.runId, { run, holder });
        opts.progress?.note?.(`running elsewhere: ${run.runId} (${holder})`);
        continue;
      }
      // Another process may have finished it between the check above and our claim.
      if ((await finishedHash(run.dir)) === run.configHash) {
        await c.claim.release();
        settleElsewhere(run);
        continue;
      }
      busy++;
      try {
        await runClaimed(run, c.claim);
      } finally {
        busy--;
        await c.claim.release();
      }
    }
  };

  const runClaimed = async (run: PlannedRun, claim: RunClaim) => {
    const log = logPath(opts.out, run.experiment, run.runId);
    opts.progress?.runStarted(run.runId);
    const handle = startWorker(worker, runArgs(run, opts), log, {
      [CLAIM_TOKEN_ENV]: claim.owner.token,
      [PARENT_PID_ENV]: String(Deno.pid),
    });
    running.add(handle);
    if (result.interrupted) handle.kill();
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
      return;
    }
    if (ok) result.done.push(run.runId);
    else result.failed.push({ runId: run.runId, code: r.code, log, tail });
    opts.progress?.runFinished(run.runId, ok, r.seconds);
  };

  try {
    await Promise.all(Array.from({ length: jobs }, lane));
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
    unwatch();
    opts.progress?.stop(result.interrupted);
  }
  result.notStarted.push(...queue.map((r) => r.runId));
  for (const d of deferred.values()) {
    if (result.interrupted) result.notStarted.push(d.run.runId);
    else result.elsewhere.push({ runId: d.run.runId, holder: d.holder });
  }
  return result;
}
