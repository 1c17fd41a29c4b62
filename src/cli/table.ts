/**
 * `main.ts table <experiment> [--format md|csv|tex] [--out DIR]`: print an experiment's
 * table (reproduced beside published, with claims) from its finished runs and write it
 * to `<out>/tables/<experiment>.<format>`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadExperiment } from "../experiment/catalog.ts";
import { loadReport, renderTable, type TableFormat, writeTables } from "../report/report.ts";
import { choice, errorExitCode, FlagError } from "../runner/flags.ts";

const USAGE = "usage: main.ts table <experiment> [--format md|csv|tex] [--out DIR]";

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
 * Entry point of `table`; returns the exit code.
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
    const format: TableFormat = choice(
      "format",
      parsed.values.format,
      ["md", "csv", "tex"] as const,
      "md",
    );
    const out = parsed.values.out ?? "results";
    const exp = await loadExperiment(parsed.positionals[0]);
    const report = await loadReport(exp, { out, implemented: await registryCheck() });
    if (report.table.facts.runs === 0) {
      throw new FlagError(
        `no finished runs under ${out}/runs/${exp.name}: run "deno task reproduce ${exp.name}" first`,
      );
    }
    console.log(renderTable(report.table, format));
    const [path] = await writeTables(report.table, [format], out);
    console.error(`wrote ${path}`);
    return 0;
  } catch (e) {
    return errorExitCode(e);
  }
}
