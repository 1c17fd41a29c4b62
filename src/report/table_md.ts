/**
 * Markdown rendering of a {@linkcode TableModel}: header, the table in the paper's layout
 * with the published number and the difference beside each reproduced one, footnotes and
 * the claims with their verdicts.
 *
 * @module
 */
import type { ClaimResult } from "./claims.ts";
import { incompleteMark, meanStd, signed, type TableCell, type TableModel } from "./table_model.ts";

function esc(text: string): string {
  return text.replaceAll("|", "\\|");
}

function bold(text: string, on: boolean): string {
  return on && text !== "—" ? `**${text}**` : text;
}

function cellTexts(cell: TableCell, status: string, hasPublished: boolean): string[] {
  const repro = status === "not implemented"
    ? "not implemented"
    : bold(meanStd(cell.mean, cell.std), cell.best) + incompleteMark(cell);
  if (!hasPublished) return [repro];
  const pub = cell.published
    ? bold(meanStd(cell.published.mean, cell.published.std), cell.publishedBest)
    : "";
  return [repro, pub, signed(cell.diff)];
}

/**
 * Renders the claims section as Markdown lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderClaimsMarkdown } from "./table_md.ts";
 * import { loadReport } from "./report.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const model = (await loadReport(await loadExperiment("table2"), { out })).table;
 * const lines = renderClaimsMarkdown(model.claims);
 * console.log(lines.join("\n"));
 * assert.ok(lines.length >= model.claims.length);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function renderClaimsMarkdown(claims: ClaimResult[]): string[] {
  if (claims.length === 0) return [];
  const out = ["### Claims", ""];
  claims.forEach((r, i) => {
    const src = r.claim.source ? ` (${r.claim.source})` : "";
    const req = r.claim.require === "all" ? "" : ` [required: ${r.claim.require} of the cases]`;
    out.push(`${i + 1}. **${r.verdict}**: ${r.claim.text}${src}${req}`);
    for (const c of r.cases) out.push(`   - ${c.dataset}: ${c.verdict}: ${c.detail}`);
  });
  out.push("");
  return out;
}

/**
 * Renders a table model as Markdown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderMarkdown } from "./table_md.ts";
 * import { buildTable } from "./table_model.ts";
 * import { MetricIndex } from "./aggregate.ts";
 * import { readExperimentRuns } from "./records.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const exp = await loadExperiment("table2");
 * const index = await MetricIndex.build(await readExperimentRuns(out, "table2"), "best");
 * const md = renderMarkdown(buildTable(exp, index));
 * console.log(md);
 * assert.ok(md.includes("80.00"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function renderMarkdown(model: TableModel): string {
  const out: string[] = [`## ${model.title}`, ""];
  for (const h of model.header) out.push(`- ${h}`);
  out.push("");
  const head = ["Method"];
  const align = [":--"];
  if (model.rowHeader !== null) {
    head.push(model.rowHeader);
    align.push(":--");
  }
  for (const c of model.columns) {
    head.push(esc(c.label));
    align.push("--:");
    if (model.hasPublished) {
      head.push("paper", "Δ");
      align.push("--:", "--:");
    }
  }
  out.push(`| ${head.join(" | ")} |`, `| ${align.join(" | ")} |`);
  for (const g of model.groups) {
    g.rows.forEach((row, i) => {
      const cells = [i === 0 ? esc(`${g.label}${g.marks}`) : ""];
      if (model.rowHeader !== null) cells.push(esc(row.label));
      for (const cell of row.cells) cells.push(...cellTexts(cell, g.status, model.hasPublished));
      out.push(`| ${cells.join(" | ")} |`);
    });
  }
  out.push("");
  if (model.footnotes.length > 0) {
    out.push("### Notes", "");
    for (const f of model.footnotes) out.push(`- ${f}`);
    out.push("");
  }
  out.push(...renderClaimsMarkdown(model.claims));
  return out.join("\n");
}
