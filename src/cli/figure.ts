/**
 * `main.ts figure <experiment> [--format svg|png] [--out DIR]`: render a figure
 * experiment (fig2 ... fig6) from its finished runs to `<out>/figures/<experiment>.<format>`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadExperiment } from "../experiment/catalog.ts";
import { type FigureFormat, isFigure, loadReport, writeFigure } from "../report/report.ts";
import { choice, errorExitCode, FlagError } from "../runner/flags.ts";

const USAGE = "usage: main.ts figure <experiment> [--format svg|png] [--out DIR]";

/**
 * Entry point of `figure`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["fig2", "--format", "png"]);
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
    const format: FigureFormat = choice(
      "format",
      parsed.values.format,
      ["svg", "png"] as const,
      "svg",
    );
    const out = parsed.values.out ?? "results";
    const exp = await loadExperiment(parsed.positionals[0]);
    if (!isFigure(exp)) {
      throw new FlagError(
        `${exp.name} is a ${exp.report.kind} experiment, not a figure: use "main.ts table ${exp.name}"`,
      );
    }
    const report = await loadReport(exp, { out });
    if (report.table.facts.runs === 0) {
      throw new FlagError(
        `no finished runs under ${out}/runs/${exp.name}: run "deno task reproduce ${exp.name}" first`,
      );
    }
    const [path] = await writeFigure(report, [format], out);
    console.log(path);
    return 0;
  } catch (e) {
    return errorExitCode(e);
  }
}
