/**
 * LaTeX rendering of a {@linkcode TableModel} (booktabs): per column the reproduced
 * number, the published one and the difference; header facts in the caption, claim
 * verdicts as comments under the table.
 *
 * @module
 */
import { fmt, type TableCell, type TableModel } from "./table_model.ts";

/**
 * Escapes LaTeX special characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(texEscape("50% & #1"), "50\\% \\& \\#1");
 * ```
 */
export function texEscape(text: string): string {
  return text.replace(/[\\&%$#_{}~^↑↓→±Δ−·†]/g, (ch) => TEX[ch] ?? ch);
}

const TEX: Record<string, string> = {
  "\\": "\\textbackslash{}",
  "&": "\\&",
  "%": "\\%",
  $: "\\$",
  "#": "\\#",
  _: "\\_",
  "{": "\\{",
  "}": "\\}",
  "~": "\\textasciitilde{}",
  "^": "\\textasciicircum{}",
  "↑": "$\\uparrow$",
  "↓": "$\\downarrow$",
  "→": "$\\to$",
  "±": "$\\pm$",
  "Δ": "$\\Delta$",
  "−": "$-$",
  "·": "$\\cdot$",
  "†": "$^\\dagger$",
};

function pm(mean: number | null, std: number | null, isBold: boolean): string {
  if (mean === null) return "--";
  const m = isBold ? `\\textbf{${fmt(mean)}}` : fmt(mean);
  return std === null ? m : `${m}$\\pm$${fmt(std)}`;
}

function diff(v: number | null): string {
  if (v === null) return "";
  return `${v >= 0 ? "+" : "$-$"}${Math.abs(v).toFixed(2)}`;
}

function cells(cell: TableCell, status: string, hasPublished: boolean): string[] {
  const repro = status === "not implemented" ? "n/i" : pm(cell.mean, cell.std, cell.best) +
    (cell.incomplete ? `\\textsuperscript{[${cell.n}/${cell.expected}]}` : "");
  if (!hasPublished) return [repro];
  const pub = cell.published ? pm(cell.published.mean, cell.published.std, cell.publishedBest) : "";
  return [repro, pub, diff(cell.diff)];
}

/**
 * Renders a table model as a LaTeX `table` environment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderLatex } from "./table_tex.ts";
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
 * const tex = renderLatex(model);
 * assert.ok(tex.includes("\\begin{tabular}"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function renderLatex(model: TableModel): string {
  const per = model.hasPublished ? 3 : 1;
  const lead = model.rowHeader === null ? 1 : 2;
  const out: string[] = [];
  out.push(`% ${model.title}`);
  for (const h of model.header) out.push(`% ${h}`);
  out.push("% Requires \\usepackage{booktabs}.");
  out.push("\\begin{table}[t]", "\\centering", "\\small");
  const caption = `${model.title}. ${model.header.join(" ")}`;
  out.push(`\\caption{${texEscape(caption)}}`);
  out.push(`\\label{tab:${model.experiment}}`);
  out.push(`\\begin{tabular}{${"l".repeat(lead)}${"r".repeat(per * model.columns.length)}}`);
  out.push("\\toprule");
  const top = ["Method"];
  if (model.rowHeader !== null) top.push(texEscape(model.rowHeader));
  for (const c of model.columns) {
    top.push(per > 1 ? `\\multicolumn{${per}}{c}{${texEscape(c.label)}}` : texEscape(c.label));
  }
  out.push(`${top.join(" & ")} \\\\`);
  if (per > 1) {
    const rules = model.columns.map((_, i) => {
      const start = lead + 1 + i * per;
      return `\\cmidrule(lr){${start}-${start + per - 1}}`;
    });
    out.push(rules.join(" "));
    const sub = Array(lead).fill("");
    for (const _ of model.columns) sub.push("Ours", "Paper", "$\\Delta$");
    out.push(`${sub.join(" & ")} \\\\`);
  }
  out.push("\\midrule");
  model.groups.forEach((g, gi) => {
    g.rows.forEach((row, i) => {
      const line = [i === 0 ? texEscape(`${g.label}${g.marks}`) : ""];
      if (model.rowHeader !== null) line.push(texEscape(row.label));
      for (const cell of row.cells) line.push(...cells(cell, g.status, model.hasPublished));
      out.push(`${line.join(" & ")} \\\\`);
    });
    if (g.rows.length > 1 && gi < model.groups.length - 1) out.push("\\midrule");
  });
  out.push("\\bottomrule", "\\end{tabular}", "\\end{table}");
  for (const f of model.footnotes) out.push(`% Note: ${f}`);
  for (const r of model.claims) {
    out.push(`% Claim (${r.verdict}): ${r.claim.text}`);
    for (const c of r.cases) out.push(`%   ${c.dataset}: ${c.verdict}: ${c.detail}`);
  }
  return `${out.join("\n")}\n`;
}
