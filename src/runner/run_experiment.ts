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
  /** Decoding cache root (default `<out>/cache`). */
  cacheDir?: string;
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
  /** Wait for runs another process holds (default true; see runSweep). */
  wait?: boolean;
  /**
   * Runs the plan instead of the local sweep (e.g. the Slurm launcher, or nothing for
   * `reproduce --report-only`); the report is written from the run records afterwards.
   */
  launch?: (plan: PlannedRun[]) => Promise<SweepResult>;
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { runExperiment } from "./run_experiment.ts";
 * import { reportOnly } from "./launcher.ts";
 * import { parseExperiment } from "../experiment/schema.ts";
 * const exp = parseExperiment(
 *   "title: t\nmethods: [concat]\ndatasets: [crema-d]\nseeds: [0, 1]\n" +
 *     "profiles: {quick: {epochs: 2}, paper: {}}\nreport: {kind: ratio-table}\n",
 *   "demo.yaml",
 * );
 * const out = await Deno.makeTempDir();
 * // deps: trainerDeps() and no launch train every run; reportOnly only plans and reports
 * const deps = { hash: () => "h", implemented: () => true };
 * const r = await runExperiment(exp, { out, deps, launch: reportOnly });
 * assert.equal(r.plan.length, 2);
 * assert.equal(r.sweep.failed.length, 0);
 * assert.deepEqual(r.files, ["md", "csv", "tex"].map((f) => `${out}/tables/demo.${f}`));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function runExperiment(
  exp: Experiment,
  opts: RunExperimentOptions,
): Promise<RunExperimentResult> {
  const out = opts.out ?? "results";
  const runs = expandRuns(exp, opts);
  const plan = await planRuns(runs, opts.deps, { out, dataRoot: opts.dataRoot });
  const sweep = opts.launch ? await opts.launch(plan) : await runSweep(plan, {
    out,
    jobs: opts.jobs,
    backend: opts.backend,
    dataRoot: opts.dataRoot,
    cacheDir: opts.cacheDir,
    worker: opts.worker,
    progress: opts.progress,
    handleSignals: opts.handleSignals,
    wait: opts.wait,
  });
  const files: string[] = [];
  let report: Report | undefined;
  if (opts.report !== false && !sweep.interrupted) {
    const expected = plan.filter((r) => r.state !== "not implemented").length;
    const perCell = new Map<string, number>();
    for (const r of plan) {
      if (r.state === "not implemented") continue;
      const key = `${r.entry}|${r.dataset}`;
      perCell.set(key, (perCell.get(key) ?? 0) + 1);
    }
    report = await loadReport(exp, {
      out,
      implemented: opts.deps.implemented,
      expected,
      expectedPerCell: (e, d) => perCell.get(`${e}|${d}`) ?? 0,
    });
    files.push(...await writeTables(report.table, ["md", "csv", "tex"], out));
    if (isFigure(exp)) files.push(...await writeFigure(report, ["svg", "png"], out));
  }
  return { plan, sweep, report, files };
}
