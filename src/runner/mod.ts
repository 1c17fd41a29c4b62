/**
 * The runner: plan an expanded experiment (skip finished runs by config hash), run the
 * rest in parallel worker processes with progress, survive failures and restarts, and
 * write the report. Also re-exports the single-run API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportOnly, runExperiment, trainerDeps } from "./mod.ts";
 * import { loadExperiment } from "../experiment/mod.ts";
 * const out = await Deno.makeTempDir();
 * // launch: reportOnly plans and reports without training (the default launcher trains every run)
 * const r = await runExperiment(await loadExperiment("table4"), {
 *   out,
 *   seeds: 1,
 *   deps: trainerDeps(),
 *   launch: reportOnly,
 *   report: false,
 * });
 * assert.ok(r.plan.length > 0);
 * assert.equal(r.sweep.notStarted.length, r.plan.filter((p) => p.state === "todo").length);
 * await Deno.remove(out, { recursive: true });
 * ```
 *
 * @module
 */
export {
  finishedHash,
  type PlanDeps,
  type PlannedRun,
  type PlanOptions,
  planRuns,
  runFolder,
  type RunState,
} from "./plan.ts";
export {
  defaultWorker,
  runArgs,
  startWorker,
  type WorkerCommand,
  type WorkerFlags,
  type WorkerHandle,
  type WorkerResult,
} from "./worker.ts";
export { createProgress, formatDuration, type ProgressSink, ProgressState } from "./progress.ts";
export { type FailedRun, logPath, runSweep, type SweepOptions, type SweepResult } from "./sweep.ts";
export {
  runExperiment,
  type RunExperimentOptions,
  type RunExperimentResult,
} from "./run_experiment.ts";
export { trainerDeps } from "./defaults.ts";
export { runOne, type RunOptions, type RunOutcome } from "./run_one.ts";
export {
  type LauncherChoice,
  LAUNCHERS,
  parseLauncherFlags,
  reportJobFlags,
  reportOnly,
  slurmLaunch,
} from "./launcher.ts";
export { launchSlurm, type SlurmLaunch, type SlurmLaunchOptions } from "./slurm_launcher.ts";
export {
  type QueueEntry,
  readSubmissions,
  slurmStateDir,
  type Submission,
  waitForJobs,
} from "./slurm.ts";
export { parseSlurmOpts, resolveSlurmOptions, sbatchLines } from "./slurm_options.ts";
export { collectStatus, formatStatus, type RunStatusLine, type StatusState } from "./status.ts";
