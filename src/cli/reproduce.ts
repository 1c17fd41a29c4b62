/**
 * `main.ts reproduce <experiment> [--profile quick|paper] [--seeds N] [--epochs N]
 * [--jobs N] [--data-root DIR] [--out DIR] [--backend B] [--set key=value ...]
 * [--dry-run] [--no-report]`: run a paper experiment in parallel workers (finished runs
 * are skipped) and write its report.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { expandRuns } from "../experiment/expand.ts";
import { loadExperiment } from "../experiment/catalog.ts";
import { renderTable } from "../report/report.ts";
import { trainerDeps } from "../runner/defaults.ts";
import { choice, errorExitCode, FlagError, positiveInt, profileFlag } from "../runner/flags.ts";
import { planRuns } from "../runner/plan.ts";
import { createProgress, formatDuration } from "../runner/progress.ts";
import { runExperiment } from "../runner/run_experiment.ts";

const BACKENDS = ["auto", "tensorflow", "wasm", "webgpu", "cpu"] as const;

const USAGE =
  "usage: main.ts reproduce <experiment> [--profile quick|paper] [--seeds N] [--epochs N] [--jobs N] " +
  "[--data-root DIR] [--out DIR] [--backend auto|tensorflow|wasm|webgpu|cpu] [--set key=value ...] [--dry-run] [--no-report]";

/**
 * Entry point of `reproduce`; returns the exit code (0 all runs finished, 1 some run
 * failed, 2 bad input, 130 stopped).
 *
 * @example
 * ```ts ignore
 * await main(["table4", "--seeds", "2"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const started = performance.now();
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: {
          profile: { type: "string" },
          seeds: { type: "string" },
          epochs: { type: "string" },
          jobs: { type: "string" },
          "data-root": { type: "string" },
          out: { type: "string" },
          backend: { type: "string" },
          set: { type: "string", multiple: true },
          "dry-run": { type: "boolean" },
          "no-report": { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
        strict: true,
        allowPositionals: true,
      });
    } catch (e) {
      throw new FlagError(`${(e as Error).message}\n${USAGE}`);
    }
    const v = parsed.values;
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) {
      throw new FlagError(`expected one experiment name\n${USAGE}`);
    }
    const exp = await loadExperiment(parsed.positionals[0]);
    const out = v.out ?? "results";
    const opts = {
      profile: profileFlag(v.profile),
      seeds: positiveInt("seeds", v.seeds),
      epochs: positiveInt("epochs", v.epochs),
      sets: v.set ?? [],
    };
    const jobs = positiveInt("jobs", v.jobs) ?? navigator.hardwareConcurrency ?? 1;
    const backend = choice("backend", v.backend, BACKENDS, "auto");
    const deps = trainerDeps();
    const runs = expandRuns(exp, opts);
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
          missing.length
            ? `, ${count("not implemented")} not implemented (${missing.join(", ")})`
            : ""
        }`,
    );
    if (v["dry-run"]) {
      for (const r of plan) console.log(`${r.state.padEnd(15)} ${r.runId}  ${r.sets.join(" ")}`);
      return 0;
    }
    const result = await runExperiment(exp, {
      ...opts,
      out,
      jobs,
      backend,
      dataRoot: v["data-root"],
      deps,
      progress: createProgress({ tty: Deno.stderr.isTerminal() }),
      report: !v["no-report"],
    });
    const sweep = result.sweep;
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
    }
    const wall = formatDuration((performance.now() - started) / 1000);
    console.error(
      `${exp.name}: ${sweep.done.length} runs done, ${sweep.skipped.length} skipped (already done), ` +
        `${sweep.failed.length} failed, ${sweep.notImplemented.length} not implemented; wall time ${wall}`,
    );
    if (sweep.failed.length > 0) {
      console.error(`failed runs (rerun the same command to retry them):`);
      for (const f of sweep.failed) {
        console.error(`  ${f.runId}: exit code ${f.code}; log ${f.log}`);
        for (const line of f.tail.split("\n")) if (line.trim()) console.error(`    ${line}`);
      }
      return 1;
    }
    return 0;
  } catch (e) {
    return errorExitCode(e);
  }
}
