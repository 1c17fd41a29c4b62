/**
 * `main.ts figure <experiment> [--format svg|png|html] [--out DIR]`: render a figure
 * experiment (fig2 ... fig6) from its finished runs to `<out>/figures/<experiment>.<format>`;
 * `html` writes the experiment's whole report page, `<out>/reports/<experiment>.html`.
 *
 * @module
 */
import { loadExperiment } from "../experiment/catalog.ts";
import { writeHtmlReport } from "../report/html_report.ts";
import { type FigureFormat, isFigure, loadReport, writeFigure } from "../report/report.ts";
import { defaultOut } from "../runner/permissions.ts";
import { runCommand, UsageError } from "./command.ts";
import { choice } from "../runner/flag_values.ts";
import { experimentArg, requireFinishedRuns } from "./report_args.ts";
import { hasMethod } from "../methods/registry.ts";

const SPEC = {
  usage: "usage: main.ts figure <experiment> [--format svg|png|html] [--out DIR]",
  options: { format: { type: "string" }, out: { type: "string" } },
  positionals: true,
} as const;

/**
 * Entry point of `figure`; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./figure.ts";
 * assert.equal(await main(["--help"]), 0); // prints the usage line
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, SPEC, async ({ values, positionals }) => {
    const name = experimentArg(positionals, SPEC.usage);
    const format: FigureFormat | "html" = choice(
      "format",
      values.format,
      ["svg", "png", "html"] as const,
      "svg",
    );
    const out = values.out ?? defaultOut();
    const exp = await loadExperiment(name);
    if (!isFigure(exp)) {
      throw new UsageError(
        `${exp.name} is a ${exp.report.kind} experiment, not a figure: use "main.ts table ${exp.name}"`,
      );
    }
    const report = await loadReport(exp, { out });
    requireFinishedRuns(report.table.facts.runs, out, exp.name);
    if (format === "html") {
      console.log(await writeHtmlReport(report, { out, implemented: hasMethod }));
      return 0;
    }
    const [path] = await writeFigure(report, [format], out);
    console.log(path);
    return 0;
  });
}
