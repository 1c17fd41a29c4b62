/**
 * The runner: plan an expanded experiment (skip finished runs by config hash), run the
 * rest in parallel worker processes with progress, survive failures and restarts, and
 * write the report. Also re-exports the single-run API.
 *
 * @example
 * ```ts ignore
 * import { runExperiment, trainerDeps } from "./mod.ts";
 * import { loadExperiment } from "../experiment/mod.ts";
 * await runExperiment(await loadExperiment("table4"), { seeds: 2, deps: trainerDeps() });
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
