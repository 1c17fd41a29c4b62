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
 * ```ts ignore
 * await Deno.writeTextFile("results/tables/table2.csv", renderCsv(model));
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
