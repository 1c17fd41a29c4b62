/**
 * `main.ts reproduce <experiment> [--profile quick|paper] [--seeds N] [--epochs N]
 * [--jobs N] [--data-root DIR] [--out DIR] [--backend B] [--set key=value ...]
 * [--dry-run] [--no-report] [--no-wait] [--tensorboard DIR] [--launcher local|slurm]
 * [--slurm-opt KEY=VALUE ...] [--array-limit N] [--status] [--report-only]`: run a paper
 * experiment in parallel workers, or as a Slurm job array (finished runs are skipped), and
 * write its report (tables, figures, and the HTML page `<out>/reports/<experiment>.html`);
 * `--status` shows where each run stands; `--report-only` writes the report from the
 * finished runs without running any.
 *
 * @module
 */
import { resolve } from "node:path";
import { expandRuns } from "../experiment/expand.ts";
import { loadExperiment } from "../experiment/catalog.ts";
import { writeHtmlReport } from "../report/html_report.ts";
import { renderTable } from "../report/report.ts";
import { trainerDeps } from "../runner/defaults.ts";
import { ensureOutAccess } from "../runner/out_access.ts";
import { defaultOut } from "../runner/permissions.ts";
import { checkDataRoot } from "../data/input_identity.ts";
import { planRuns } from "../runner/plan.ts";
import { createProgress, formatDuration } from "../runner/progress.ts";
import { runExperiment } from "../runner/run_experiment.ts";
import { parseLauncherFlags, reportJobFlags, reportOnly, slurmLaunch } from "../runner/launcher.ts";
import { launchSlurm } from "../runner/slurm_launcher.ts";
import { collectStatus, formatStatus } from "../runner/status.ts";
import { TENSORBOARD_ENV, tensorBoardSummaryLine } from "../runner/tensorboard.ts";
import { BACKEND_REQUESTS } from "../backend/requests.ts";
import { runCommand } from "./command.ts";
import { choice, positiveInt, profileFlag } from "../runner/flag_values.ts";
import { experimentArg } from "./report_args.ts";

const SPEC = {
  usage:
    "usage: main.ts reproduce <experiment> [--profile quick|paper] [--seeds N] [--epochs N] [--jobs N] " +
    "[--data-root DIR] [--cache-dir DIR] [--out DIR] [--backend auto|tensorflow|wasm|webgpu|cpu] [--set key=value ...] [--dry-run] [--no-report] [--no-wait] [--tensorboard DIR] " +
    "[--launcher local|slurm] [--slurm-opt KEY=VALUE ...] [--array-limit N] [--status] [--report-only]",
  options: {
    profile: { type: "string" },
    seeds: { type: "string" },
    epochs: { type: "string" },
    jobs: { type: "string" },
    "data-root": { type: "string" },
    "cache-dir": { type: "string" },
    out: { type: "string" },
    backend: { type: "string" },
    set: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
    "no-report": { type: "boolean" },
    "no-wait": { type: "boolean" },
    tensorboard: { type: "string" },
    launcher: { type: "string" },
    "slurm-opt": { type: "string", multiple: true },
    "array-limit": { type: "string" },
    status: { type: "boolean" },
    "report-only": { type: "boolean" },
  },
  positionals: true,
  negativeValues: ["epochs", "seeds", "jobs"],
} as const;

/**
 * Entry point of `reproduce`; returns the exit code (0 all runs finished, 1 some run
 * failed, 2 bad input, 130 stopped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./reproduce.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage line; a real run trains every run
 * ```
 */
export function main(args: string[]): Promise<number> {
  const started = performance.now();
  return runCommand(args, SPEC, async ({ values: v, positionals }) => {
    const exp = await loadExperiment(experimentArg(positionals, SPEC.usage));
    // Default: the project's results/, whatever the current directory (permissions.ts).
    const out = v.out ?? defaultOut();
    // Under deno task's -P set an --out outside results/ restarts with write access to it.
    const handed = await ensureOutAccess("reproduce", args, out, {
      dryRun: v["dry-run"] || v.status,
    });
    if (handed !== null) return handed;
    const opts = {
      profile: profileFlag(v.profile),
      seeds: positiveInt("seeds", v.seeds),
      epochs: positiveInt("epochs", v.epochs),
      sets: v.set ?? [],
    };
    const jobs = positiveInt("jobs", v.jobs) ?? navigator.hardwareConcurrency ?? 1;
    const backend = choice("backend", v.backend, BACKEND_REQUESTS, "auto");
    const launcher = parseLauncherFlags(
      { launcher: v.launcher, slurmOpt: v["slurm-opt"], arrayLimit: v["array-limit"] },
      exp,
      opts.profile,
    );
    const deps = trainerDeps();
    const runs = expandRuns(exp, opts);
    if (v["data-root"] !== undefined) checkDataRoot(v["data-root"]);
    const plan = await planRuns(runs, deps, { out, dataRoot: v["data-root"] });
    const count = (s: string) => plan.filter((r) => r.state === s).length;
    const missing = [
      ...new Set(plan.filter((r) => r.state === "not implemented").map((r) => r.method)),
    ];
    console.error(
      `${exp.name} (${exp.title}), profile ${opts.profile}: ${plan.length} runs: ${
        count("done")
      } already done, ` +
        `${count("todo")} to do${
          count("running elsewhere") ? `, ${count("running elsewhere")} running elsewhere` : ""
        }${
          missing.length
            ? `, ${count("not implemented")} not implemented (${missing.join(", ")})`
            : ""
        }`,
    );
    if (v.status) {
      const status = await collectStatus(plan, { out, experiment: exp.name });
      console.log(formatStatus(status.lines, status.notes));
      return 0;
    }
    const slurm = launcher.kind === "slurm" && !v["report-only"];
    const slurmOpts = {
      out,
      experiment: exp.name,
      experimentFile: exp.file,
      reportFlags: reportJobFlags({
        ...opts,
        dataRoot: v["data-root"] === undefined ? undefined : resolve(v["data-root"]),
      }),
      backend,
      dataRoot: v["data-root"],
      wait: !v["no-wait"],
    };
    if (v["dry-run"] && slurm) {
      await launchSlurm(plan, { ...slurmOpts, ...launcher, dryRun: true });
      return 0;
    }
    if (v["dry-run"]) {
      for (const r of plan) console.log(`${r.state.padEnd(15)} ${r.runId}  ${r.sets.join(" ")}`);
      return 0;
    }
    // The workers (main.ts run) read the TensorBoard root from their inherited environment.
    if (v.tensorboard) Deno.env.set(TENSORBOARD_ENV, resolve(v.tensorboard));
    const result = await runExperiment(exp, {
      ...opts,
      out,
      jobs,
      backend,
      dataRoot: v["data-root"],
      cacheDir: v["cache-dir"],
      deps,
      progress: createProgress({ tty: Deno.stderr.isTerminal() }),
      report: !v["no-report"] && !(slurm && v["no-wait"]),
      wait: !v["no-wait"],
      launch: v["report-only"] ? reportOnly : slurm ? slurmLaunch(launcher, slurmOpts) : undefined,
    });
    const sweep = result.sweep;
    if (slurm && v["no-wait"]) {
      console.error(`${exp.name}: the report job writes the report when the array is over`);
      return 0;
    }
    if (v.tensorboard) console.error(tensorBoardSummaryLine(v.tensorboard, exp.name));
    if (sweep.interrupted) {
      console.error(
        `stopped: ${sweep.done.length} runs finished in this sweep are kept; rerun the same command to continue ` +
          `(finished runs are skipped)`,
      );
      return 130;
    }
    if (result.report) {
      console.log(renderTable(result.report.table, "md"));
      for (const f of result.files) console.error(`wrote ${f}`);
      const html = await writeHtmlReport(result.report, {
        out,
        plan: result.plan,
        failed: sweep.failed,
        implemented: deps.implemented,
      });
      console.error(`HTML report: ${html}`);
    }
    const wall = formatDuration((performance.now() - started) / 1000);
    console.error(
      `${exp.name}: ${sweep.done.length} runs done, ${sweep.skipped.length} skipped (already done), ` +
        (sweep.doneElsewhere.length
          ? `${sweep.doneElsewhere.length} done elsewhere (by another process), `
          : "") +
        (sweep.elsewhere.length ? `${sweep.elsewhere.length} running elsewhere, ` : "") +
        `${sweep.failed.length} failed, ${sweep.notImplemented.length} not implemented; wall time ${wall}`,
    );
    for (const r of sweep.elsewhere) {
      console.error(`  running elsewhere: ${r.runId} (${r.holder}); rerun later to report it`);
    }
    if (sweep.failed.length > 0) {
      console.error(`failed runs (rerun the same command to retry them):`);
      for (const f of sweep.failed) {
        console.error(`  ${f.runId}: exit code ${f.code}; log ${f.log}`);
        for (const line of f.tail.split("\n")) if (line.trim()) console.error(`    ${line}`);
      }
      return 1;
    }
    if (v["report-only"] && sweep.notStarted.length > 0) {
      console.error(
        `${sweep.notStarted.length} runs have no finished record: ${sweep.notStarted.join(", ")}`,
      );
      return 1;
    }
    return 0;
  });
}
