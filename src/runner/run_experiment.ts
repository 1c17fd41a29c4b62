/**
 * One experiment end to end: expand, plan (skip finished runs), sweep in parallel
 * workers, then write the report (tables, figure, claims) from the run records.
 *
 * @module
 */
import { type ExpandOptions, expandRuns } from "../experiment/expand.ts";
import type { Experiment } from "../experiment/types.ts";
import { isFigure, loadReport, type Report, writeFigure, writeTables } from "../report/report.ts";
import { type PlanDeps, type PlannedRun, planRuns } from "./plan.ts";
import type { ProgressSink } from "./progress.ts";
import { runSweep, type SweepResult } from "./sweep.ts";
import type { WorkerCommand } from "./worker.ts";

/** Options of {@linkcode runExperiment}. */
export interface RunExperimentOptions extends ExpandOptions {
  /** Output root (default `results`). */
  out?: string;
  /** Parallel workers (default: the number of cores). */
  jobs?: number;
  /** Backend request passed to the workers. */
  backend?: string;
  /** Data root (paper profile). */
  dataRoot?: string;
  /** Planning dependencies (config hashing, method registry). */
  deps: PlanDeps;
  /** Worker command (default `deno run -A main.ts run`). */
  worker?: WorkerCommand;
  /** Progress display. */
  progress?: ProgressSink;
  /** Write the report after the sweep (default true). */
  report?: boolean;
  /** Stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

/** What {@linkcode runExperiment} did. */
export interface RunExperimentResult {
  /** The plan. */
  plan: PlannedRun[];
  /** The sweep's outcome. */
  sweep: SweepResult;
  /** The report, when written. */
  report?: Report;
  /** Files written. */
  files: string[];
}

/**
 * Runs an experiment and writes its report.
 *
 * @example
 * ```ts ignore
 * import { trainerDeps } from "./defaults.ts";
 * const r = await runExperiment(await loadExperiment("table4"), { seeds: 2, deps: trainerDeps() });
 * r.sweep.failed.length;
 * ```
 */
export async function runExperiment(
  exp: Experiment,
  opts: RunExperimentOptions,
): Promise<RunExperimentResult> {
  const out = opts.out ?? "results";
  const runs = expandRuns(exp, opts);
  const plan = await planRuns(runs, opts.deps, { out, dataRoot: opts.dataRoot });
  const sweep = await runSweep(plan, {
    out,
    jobs: opts.jobs,
    backend: opts.backend,
    dataRoot: opts.dataRoot,
    worker: opts.worker,
    progress: opts.progress,
    handleSignals: opts.handleSignals,
  });
  const files: string[] = [];
  let report: Report | undefined;
  if (opts.report !== false && !sweep.interrupted) {
    const expected = plan.filter((r) => r.state !== "not implemented").length;
    report = await loadReport(exp, { out, implemented: opts.deps.implemented, expected });
    files.push(...await writeTables(report.table, ["md", "csv", "tex"], out));
    if (isFigure(exp)) files.push(...await writeFigure(report, ["svg", "png"], out));
  }
  return { plan, sweep, report, files };
}
