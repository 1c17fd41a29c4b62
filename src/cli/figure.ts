/**
 * `main.ts figure <experiment> [--format svg|png|html] [--out DIR]`: render a figure
 * experiment (fig2 ... fig6) from its finished runs to `<out>/figures/<experiment>.<format>`;
 * `html` writes the experiment's whole report page, `<out>/reports/<experiment>.html`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadExperiment } from "../experiment/catalog.ts";
import { writeHtmlReport } from "../report/html_report.ts";
import { type FigureFormat, isFigure, loadReport, writeFigure } from "../report/report.ts";
import { choice, errorExitCode, FlagError } from "../runner/flags.ts";
import { registryCheck } from "./table.ts";
import { defaultOut } from "../runner/permissions.ts";

const USAGE = "usage: main.ts figure <experiment> [--format svg|png|html] [--out DIR]";

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
    const format: FigureFormat | "html" = choice(
      "format",
      parsed.values.format,
      ["svg", "png", "html"] as const,
      "svg",
    );
    const out = parsed.values.out ?? defaultOut();
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
    if (format === "html") {
      console.log(await writeHtmlReport(report, { out, implemented: await registryCheck() }));
      return 0;
    }
    const [path] = await writeFigure(report, [format], out);
    console.log(path);
    return 0;
  } catch (e) {
    return errorExitCode(e);
  }
}
