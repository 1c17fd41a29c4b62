/**
 * Reports from run records: aggregation over seeds, tables in the paper's layout
 * (Markdown, CSV, LaTeX) beside the published numbers, claims with verdicts, figures
 * (vega-lite -> SVG -> PNG), one HTML page per experiment (with training curves and run
 * status) and the regression comparison.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadReport, renderTable } from "./mod.ts";
 * import { loadExperiment } from "../experiment/mod.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const report = await loadReport(await loadExperiment("table2"), { out });
 * const md = renderTable(report.table, "md");
 * console.log(md);
 * assert.ok(md.includes("80.00"));
 * await Deno.remove(out, { recursive: true });
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
