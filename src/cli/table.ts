/**
 * `main.ts table <experiment> [--format md|csv|tex|html] [--out DIR]`: print an experiment's
 * table (reproduced beside published, with claims) from its finished runs and write it
 * to `<out>/tables/<experiment>.<format>`; `html` writes the experiment's whole report page,
 * `<out>/reports/<experiment>.html`, and prints its path.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadExperiment } from "../experiment/catalog.ts";
import { writeHtmlReport } from "../report/html_report.ts";
import { loadReport, renderTable, type TableFormat, writeTables } from "../report/report.ts";
import { choice, errorExitCode, FlagError } from "../runner/flags.ts";
import { expandRuns } from "../experiment/expand.ts";
import { defaultOut } from "../runner/permissions.ts";
import { readExperimentRuns } from "../report/records.ts";
import type { TableModel } from "../report/table_model.ts";

const USAGE = "usage: main.ts table <experiment> [--format md|csv|tex|html] [--out DIR]";

/**
 * Whether a method is implemented, from the method registry (every method counts as
 * implemented when the registry cannot be loaded).
 *
 * @example
 * ```ts ignore
 * const implemented = await registryCheck();
 * implemented("ibml"); // true
 * ```
 */
export async function registryCheck(): Promise<(method: string) => boolean> {
  try {
    const registry = await import("../methods/registry.ts");
    return (m: string) => registry.hasMethod(m);
  } catch {
    return () => true;
  }
}

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
 * ```ts ignore
 * await main(["table4", "--format", "md"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: {
          format: { type: "string" },
          out: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
        strict: true,
        allowPositionals: true,
      });
    } catch (e) {
      throw new FlagError(`${(e as Error).message}\n${USAGE}`);
    }
    if (parsed.values.help) {
      console.log(USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) {
      throw new FlagError(`expected one experiment name\n${USAGE}`);
    }
    const format: TableFormat | "html" = choice(
      "format",
      parsed.values.format,
      ["md", "csv", "tex", "html"] as const,
      "md",
    );
    const out = parsed.values.out ?? defaultOut();
    const exp = await loadExperiment(parsed.positionals[0]);
    const implemented = await registryCheck();
    const report = await loadReport(exp, {
      out,
      implemented,
      expectedPerCell: await plannedPerCell(exp, out),
    });
    if (report.table.facts.runs === 0) {
      throw new FlagError(
        `no finished runs under ${out}/runs/${exp.name}: run "deno task reproduce ${exp.name}" first`,
      );
    }
    if (format === "html") {
      console.log(await writeHtmlReport(report, { out, implemented }));
      return 0;
    }
    console.log(renderTable(report.table, format));
    const [path] = await writeTables(report.table, [format], out);
    console.error(`wrote ${path}`);
    return recordWarnings(report.table, exp.name);
  } catch (e) {
    return errorExitCode(e);
  }
}
