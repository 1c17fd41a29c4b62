/**
 * `main.ts table <experiment> [--format md|csv|tex|html] [--out DIR]`: print an experiment's
 * table (reproduced beside published, with claims) from its finished runs and write it
 * to `<out>/tables/<experiment>.<format>`; `html` writes the experiment's whole report page,
 * `<out>/reports/<experiment>.html`, and prints its path.
 *
 * @module
 */
import { loadExperiment } from "../experiment/catalog.ts";
import { writeHtmlReport } from "../report/html_report.ts";
import { loadReport, renderTable, type TableFormat, writeTables } from "../report/report.ts";
import { expandRuns } from "../experiment/expand.ts";
import { defaultOut } from "../runner/permissions.ts";
import { readExperimentRuns } from "../report/records.ts";
import type { TableModel } from "../report/table_model.ts";
import { runCommand } from "./command.ts";
import { choice } from "../runner/flag_values.ts";
import { experimentArg, requireFinishedRuns } from "./report_args.ts";
import { hasMethod } from "../methods/registry.ts";

const SPEC = {
  usage: "usage: main.ts table <experiment> [--format md|csv|tex|html] [--out DIR]",
  options: { format: { type: "string" }, out: { type: "string" } },
  positionals: true,
} as const;

/**
 * Runs the experiment plans per cell, for the profile its finished runs were made with
 * (the experiment's own seeds).
 */
async function plannedPerCell(
  exp: Parameters<typeof expandRuns>[0],
  out: string,
): Promise<(entry: string, dataset: string) => number> {
  const runs = await readExperimentRuns(out, exp.name);
  const profile = runs.some((r) => r.summary.profile === "paper") ? "paper" : "quick";
  const counts = new Map<string, number>();
  for (const r of expandRuns(exp, { profile })) {
    const key = `${r.entry}|${r.dataset}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return (e, d) => counts.get(`${e}|${d}`) ?? 0;
}

/** Warns about incomplete cells; lists corrupt records (exit code 1 when there are any). */
function recordWarnings(t: TableModel, experiment: string): number {
  if (t.incompleteCells > 0) {
    console.error(
      `warning: ${t.incompleteCells} cells have fewer runs than planned (marked [n/N])`,
    );
  }
  if (t.problems.length === 0) return 0;
  console.error(`error: ${t.problems.length} corrupt run records were left out:`);
  for (const p of t.problems) console.error(`  ${p.file}: ${p.problem}`);
  console.error(
    `  rerun "deno task reproduce ${experiment}" to redo them (each is set aside, not deleted)`,
  );
  return 1;
}

/**
 * Entry point of `table`; returns the exit code (1 when corrupt records were found).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./table.ts";
 * const out = await Deno.makeTempDir(); // no finished runs there
 * assert.equal(await main(["table4", "--out", out]), 2); // prints "error: no finished runs under ..."
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, async ({ values, positionals }) => {
    const name = experimentArg(positionals, SPEC.usage);
    const format: TableFormat | "html" = choice(
      "format",
      values.format,
      ["md", "csv", "tex", "html"] as const,
      "md",
    );
    const out = values.out ?? defaultOut();
    const exp = await loadExperiment(name);
    const implemented = hasMethod;
    const report = await loadReport(exp, {
      out,
      implemented,
      expectedPerCell: await plannedPerCell(exp, out),
    });
    requireFinishedRuns(report.table.facts.runs, out, exp.name);
    if (format === "html") {
      console.log(await writeHtmlReport(report, { out, implemented }));
      return 0;
    }
    console.log(renderTable(report.table, format));
    const [path] = await writeTables(report.table, [format], out);
    console.error(`wrote ${path}`);
    return recordWarnings(report.table, exp.name);
  });
}
