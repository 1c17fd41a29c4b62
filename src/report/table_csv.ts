/**
 * CSV rendering of a {@linkcode TableModel}: one line per cell (long format), with the
 * published number, the difference and whether the numbers are comparable at all.
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";
import type { TableModel } from "./table_model.ts";

/** The CSV columns, in order. */
export const TABLE_CSV_COLUMNS: readonly string[] = [
  "experiment",
  "entry",
  "label",
  "row",
  "column",
  "dataset",
  "metric",
  "unit",
  "n",
  "mean",
  "std",
  "published_mean",
  "published_std",
  "diff",
  "best",
  "status",
  "profile",
  "backend",
  "comparable_to_published",
  "expected",
  "incomplete",
];

function num(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined ? "" : v.toFixed(digits);
}

/**
 * Renders a table model as CSV (numbers in display units: percent for accuracies).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCsv } from "./table_csv.ts";
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
 * const csv = renderCsv(model);
 * assert.ok(csv.split("\n").some((l) => l.startsWith("ibml,") || l.includes("IBML")));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function renderCsv(model: TableModel): string {
  const comparable = model.synthetic ? "no: synthetic stand-in" : "yes";
  const rows: string[][] = [];
  for (const g of model.groups) {
    for (const row of g.rows) {
      for (const c of row.cells) {
        rows.push([
          model.experiment,
          g.entry,
          g.label + g.marks,
          row.label,
          c.column,
          c.dataset,
          c.metric,
          c.percent ? "percent" : "ratio",
          String(c.n),
          num(c.mean, 4),
          num(c.std, 4),
          num(c.published?.mean, 2),
          num(c.published?.std, 2),
          num(c.diff, 4),
          c.best ? "yes" : "",
          g.status,
          model.facts.profiles.join(" "),
          model.facts.backends.join(" "),
          model.hasPublished ? comparable : "",
          c.expected === null ? "" : String(c.expected),
          c.incomplete ? "yes" : "",
        ]);
      }
    }
  }
  return stringify(rows, { header: true, columns: [...TABLE_CSV_COLUMNS] });
}
