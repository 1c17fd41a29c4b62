/**
 * Reports from run records: aggregation over seeds, tables in the paper's layout
 * (Markdown, CSV, LaTeX) beside the published numbers, claims with verdicts, figures
 * (vega-lite -> SVG -> PNG), one HTML page per experiment (with training curves and run
 * status) and the regression comparison.
 *
 * @example
 * ```ts ignore
 * import { loadReport, renderTable } from "./mod.ts";
 * import { loadExperiment } from "../experiment/mod.ts";
 * const report = await loadReport(await loadExperiment("table4"), { out: "results" });
 * console.log(renderTable(report.table, "md"));
 * ```
 *
 * @module
 */
export * from "./records.ts";
export * from "./metrics.ts";
export * from "./aggregate.ts";
export * from "./published.ts";
export * from "./claims.ts";
export * from "./table_model.ts";
export { renderClaimsMarkdown, renderMarkdown } from "./table_md.ts";
export { renderCsv, TABLE_CSV_COLUMNS } from "./table_csv.ts";
export { renderLatex, texEscape } from "./table_tex.ts";
export * from "./curves.ts";
export * from "./histogram.ts";
export { renderSvg, svgToPng } from "./render.ts";
export * from "./report.ts";
export * from "./reference.ts";
export * from "./training_curves.ts";
export * from "./run_status.ts";
export { renderIndexHtml, renderReportHtml } from "./html.ts";
export type { HtmlIndexView, HtmlReportView } from "./html.ts";
export * from "./html_report.ts";
