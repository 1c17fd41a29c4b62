/**
 * The format-independent model of a report table in the paper's layout: entries (groups
 * of rows), metric rows, dataset (or metric) columns, each cell the reproduced mean ± std
 * beside the published number and their difference, the best per column marked; plus the
 * header facts (profile, backend, seeds, epochs), footnotes and claim verdicts.
 *
 * @module
 */
import { datasetLabel, datasetRoles } from "../experiment/names.ts";
import type { Experiment } from "../experiment/types.ts";
import type { MetricIndex, Stat } from "./aggregate.ts";
import { type ClaimResult, evaluateClaims } from "./claims.ts";
import { isPercentMetric } from "./metrics.ts";
import type { PublishedCell, PublishedTable } from "./published.ts";
import type { RecordProblem } from "./records.ts";

/** One cell of the table. Values are in display units (percent for accuracies). */
export interface TableCell {
  /** Column key. */
  column: string;
  /** Dataset of the cell. */
  dataset: string;
  /** Metric of the cell. */
  metric: string;
  /** Whether values are percentages. */
  percent: boolean;
  /** Reproduced mean (display units), `null` when there are no runs. */
  mean: number | null;
  /** Reproduced sample std (display units), `null` for fewer than 2 seeds. */
  std: number | null;
  /** Number of seeds. */
  n: number;
  /** Number of runs the experiment plans for this cell (`null`: not known). */
  expected: number | null;
  /** Whether fewer than `expected` runs are behind the cell (of an entry that has runs). */
  incomplete: boolean;
  /** Published number as printed. */
  published: PublishedCell | null;
  /** Reproduced mean minus published mean. */
  diff: number | null;
  /** Best reproduced value of its row and column. */
  best: boolean;
  /** Best published value of its row and column. */
  publishedBest: boolean;
}

/** One metric row of an entry. */
export interface TableRowModel {
  /** Row label ("Fusion", "Audio"; empty for single-row tables). */
  label: string;
  /** Cells, one per column. */
  cells: TableCell[];
}

/** Why an entry has no numbers. */
export type EntryStatus = "ok" | "missing" | "not implemented";

/** One entry of the table (a method or variant) and its rows. */
export interface TableGroup {
  /** Entry name. */
  entry: string;
  /** Label printed. */
  label: string;
  /** Whether it has runs. */
  status: EntryStatus;
  /** Footnote marks after the label (e.g. "†" for a reconstructed method). */
  marks: string;
  /** Rows. */
  rows: TableRowModel[];
}

/** A whole table. */
export interface TableModel {
  /** Experiment name. */
  experiment: string;
  /** Title. */
  title: string;
  /** Header lines (profile, backend, seeds, epochs, comparability). */
  header: string[];
  /** Whether the numbers come from synthetic stand-ins (quick profile). */
  synthetic: boolean;
  /** Profiles, backends, seeds and epochs found in the runs. */
  facts: {
    profiles: string[];
    backends: string[];
    seeds: number[];
    epochs: number[];
    runs: number;
  };
  /** Label of the row-label column (`null` when every entry has one row). */
  rowHeader: string | null;
  /** Columns. */
  columns: { key: string; label: string }[];
  /** Whether published numbers are shown. */
  hasPublished: boolean;
  /** Entries. */
  groups: TableGroup[];
  /** Footnotes. */
  footnotes: string[];
  /** Claim verdicts. */
  claims: ClaimResult[];
  /** Run folders whose record is corrupt or edited (left out of the table). */
  problems: RecordProblem[];
  /** Number of cells with fewer runs than expected. */
  incompleteCells: number;
}

/** The note every quick-profile output carries. */
export const SYNTHETIC_NOTE = "synthetic stand-in: not comparable to the published numbers";

/** Options of {@linkcode buildTable}. */
export interface BuildTableOptions {
  /** Published numbers (none: no published columns). */
  published?: PublishedTable;
  /** Whether a method is implemented (default: every method is). */
  implemented?: (method: string) => boolean;
  /** Number of runs planned; the header says so when fewer have finished. */
  expected?: number;
  /** Runs planned per cell (entry, dataset); incomplete cells are marked `[n/N]`. */
  expectedPerCell?: (entry: string, dataset: string) => number;
  /** Corrupt or edited records found (listed in the header). */
  problems?: RecordProblem[];
}

interface Layout {
  rowHeader: string | null;
  columns: { key: string; label: string; dataset: string; metric?: string }[];
  rows: { label: string; metric: (dataset: string, column: string) => string }[];
}

function metricFor(ref: string | Record<string, string>, dataset: string): string {
  return typeof ref === "string" ? ref : ref[dataset];
}

function layoutOf(exp: Experiment): Layout {
  const dsColumns = exp.datasets.map((d) => ({ key: d, label: datasetLabel(d), dataset: d }));
  switch (exp.report.kind) {
    case "accuracy-table":
      return {
        rowHeader: "Test",
        columns: dsColumns,
        rows: exp.report.rows.map((r) => ({
          label: r.label,
          metric: (d: string) => metricFor(r.metric, d),
        })),
      };
    case "ratio-table":
      return { rowHeader: null, columns: dsColumns, rows: [{ label: "", metric: () => "ratio" }] };
    case "ablation-table": {
      const d = exp.datasets[0];
      return {
        rowHeader: null,
        columns: exp.report.columns.map((c) => ({
          key: c.metric,
          label: c.label,
          dataset: d,
          metric: c.metric,
        })),
        rows: [{ label: "", metric: (_d: string, col: string) => col }],
      };
    }
    default: {
      const rows: Layout["rows"] = [
        { label: "Fusion", metric: () => "fusion" },
        { label: "Strong", metric: () => "strong" },
        { label: "Lazy", metric: () => "lazy" },
        { label: "Ratio", metric: () => "ratio" },
      ];
      if (exp.report.kind === "info-histogram") {
        rows.push({ label: "High I share, strong", metric: () => "info_high_strong" });
        rows.push({ label: "High I share, lazy", metric: () => "info_high_lazy" });
      }
      return { rowHeader: "Value", columns: dsColumns, rows };
    }
  }
}

function better(metric: string, a: number, b: number): number {
  if (metric === "ratio") return Math.abs(b - 1) - Math.abs(a - 1);
  if (metric === "ratio_gap") return b - a;
  return a - b;
}

function markBest(
  groups: TableGroup[],
  pick: (c: TableCell) => number | null,
  set: (c: TableCell) => void,
): void {
  const nRows = Math.max(0, ...groups.map((g) => g.rows.length));
  for (let r = 0; r < nRows; r++) {
    const nCols = Math.max(0, ...groups.map((g) => g.rows[r]?.cells.length ?? 0));
    for (let c = 0; c < nCols; c++) {
      const cells = groups.map((g) => g.rows[r]?.cells[c]).filter((x): x is TableCell =>
        !!x && pick(x) !== null
      );
      if (cells.length < 2) continue;
      let best = cells[0];
      for (const cell of cells) if (better(cell.metric, pick(cell)!, pick(best)!) > 0) best = cell;
      for (const cell of cells) if (better(cell.metric, pick(cell)!, pick(best)!) >= 0) set(cell);
    }
  }
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)].sort();
}

function statCell(
  stat: Stat | null,
  percent: boolean,
): { mean: number | null; std: number | null; n: number } {
  if (!stat) return { mean: null, std: null, n: 0 };
  const k = percent ? 100 : 1;
  return { mean: stat.mean * k, std: stat.std === null ? null : stat.std * k, n: stat.n };
}

/**
 * Builds the table of an experiment from its run metrics.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildTable } from "./table_model.ts";
 * import { MetricIndex } from "./aggregate.ts";
 * import { loadPublished } from "./published.ts";
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
 * const model = buildTable(exp, index, { published: await loadPublished("table2.csv") });
 * const ibml = model.groups.find((g) => g.entry === "ibml");
 * assert.equal(ibml?.rows[0].cells.find((c) => c.dataset === "crema-d")?.mean, 80);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function buildTable(
  exp: Experiment,
  index: MetricIndex,
  opts: BuildTableOptions = {},
): TableModel {
  const layout = layoutOf(exp);
  const implemented = opts.implemented ?? (() => true);
  const records = index.records;
  const groups: TableGroup[] = exp.entries.map((entry) => {
    const runs = exp.datasets.flatMap((d) => index.runs(entry.name, d));
    const status: EntryStatus = runs.length > 0
      ? "ok"
      : implemented(entry.method)
      ? "missing"
      : "not implemented";
    const marks = runs.some((r) => r.summary.reconstructed === true) ? "†" : "";
    const rows = layout.rows.map((row) => ({
      label: row.label,
      cells: layout.columns.map((col): TableCell => {
        const metric = col.metric ?? row.metric(col.dataset, col.key);
        const percent = isPercentMetric(metric);
        const published = opts.published?.get(entry.name, col.dataset, metric) ?? null;
        const s = statCell(index.stat(entry.name, col.dataset, metric), percent);
        const expected = opts.expectedPerCell?.(entry.name, col.dataset) ?? null;
        return {
          column: col.key,
          dataset: col.dataset,
          metric,
          percent,
          ...s,
          expected,
          incomplete: status === "ok" && expected !== null && s.n < expected,
          published,
          diff: s.mean !== null && published ? s.mean - published.mean : null,
          best: false,
          publishedBest: false,
        };
      }),
    }));
    return { entry: entry.name, label: entry.label, status, marks, rows };
  });
  markBest(groups, (c) => c.mean, (c) => (c.best = true));
  markBest(groups, (c) => c.published?.mean ?? null, (c) => (c.publishedBest = true));

  const facts = {
    profiles: uniq(records.map((r) => r.summary.profile)),
    backends: uniq(records.map((r) => r.summary.backend)),
    seeds: uniq(records.map((r) => r.seed)).sort((a, b) => a - b),
    epochs: uniq(records.map((r) => r.summary.epochs)).sort((a, b) => a - b),
    runs: records.length,
  };
  const synthetic = facts.profiles.includes("quick") || facts.profiles.length === 0;
  const list = <T>(xs: T[]) => (xs.length ? xs.join(", ") : "none");
  const hasPublished = opts.published !== undefined;
  const header = [
    `Profile: ${list(facts.profiles)} · backend: ${list(facts.backends)} · seeds: ${
      list(facts.seeds)
    } · ` +
    `epochs: ${list(facts.epochs)} · finished runs: ${facts.runs}.`,
  ];
  if (opts.expected !== undefined && facts.runs < opts.expected) {
    header.push(`Incomplete: ${facts.runs} of ${opts.expected} planned runs have finished.`);
  }
  const incompleteCells = groups.reduce(
    (k, g) => k + g.rows.reduce((j, r) => j + r.cells.filter((c) => c.incomplete).length, 0),
    0,
  );
  if (incompleteCells > 0) {
    header.push(
      `Incomplete cells: ${incompleteCells} cells have fewer runs than the experiment plans; ` +
        `each is marked [n/N] (n of N runs).`,
    );
  }
  const problems = opts.problems ?? [];
  for (const p of problems) {
    header.push(`Corrupt record left out: ${p.file}: ${p.problem}.`);
  }
  if (synthetic) header.push(`${SYNTHETIC_NOTE[0].toUpperCase()}${SYNTHETIC_NOTE.slice(1)}.`);
  const anyPercent = groups.some((g) => g.rows.some((r) => r.cells.some((c) => c.percent)));
  const pubText = hasPublished
    ? " (reproduced and published separately); paper: the published number; Δ: reproduced − paper"
    : "";
  header.push(
    `Cells: mean ± sample std (n − 1) over seeds${anyPercent ? "; accuracies in %" : ""}; ` +
      `bold: best per column${pubText}.`,
  );

  const footnotes: string[] = [];
  const selected = new Map<string, Set<string>>();
  for (const r of records) {
    const set = selected.get(r.dataset) ?? new Set<string>();
    set.add(r.summary.selected_on ?? (datasetRoles(r.dataset)?.hasVal ? "val" : "test"));
    selected.set(r.dataset, set);
  }
  if (!anyPercent) {
    // No accuracies shown: the epoch selection does not matter.
  } else if (exp.report.select === "best") {
    const parts = exp.datasets.filter((d) => selected.has(d)).map((d) =>
      `${datasetLabel(d)}: ${[...selected.get(d)!].join("/")}`
    );
    footnotes.push(
      "Accuracies are test accuracies at the epoch with the best fused accuracy on the validation split where " +
        `the dataset has one, else on the test split, as the official IBML code selects${
          parts.length ? ` (${parts.join(", ")})` : ""
        }.`,
    );
  } else {
    footnotes.push("Accuracies are test accuracies of the last epoch.");
  }
  if (groups.some((g) => g.marks.includes("†"))) {
    footnotes.push(
      "†: reconstructed method (the released code never applies its weighting; see the method docs).",
    );
  }
  if (groups.some((g) => g.status === "not implemented")) {
    footnotes.push("not implemented: the method is not in this harness's registry yet; no runs.");
  }
  footnotes.push(...exp.notes);

  const claims = evaluateClaims(exp.claims, {
    values: (e, d, m) => index.values(e, d, m),
    missingReason: (e) => {
      const g = groups.find((x) => x.entry === e);
      return g && g.status !== "ok" ? g.status : undefined;
    },
    label: (e) => exp.entries.find((x) => x.name === e)?.label ?? e,
  });

  return {
    experiment: exp.name,
    title: exp.title,
    header,
    synthetic,
    facts,
    rowHeader: layout.rowHeader,
    columns: layout.columns.map((c) => ({ key: c.key, label: c.label })),
    hasPublished,
    groups,
    footnotes,
    claims,
    problems,
    incompleteCells,
  };
}

/**
 * The `[n/N]` mark of an incomplete cell (empty for a complete one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { incompleteMark, type TableCell } from "./table_model.ts";
 * const cell = { n: 2, expected: 3, incomplete: true } as TableCell;
 * assert.equal(incompleteMark(cell), " [2/3]");
 * assert.equal(incompleteMark({ ...cell, n: 3, incomplete: false }), "");
 * ```
 */
export function incompleteMark(cell: TableCell): string {
  return cell.incomplete ? ` [${cell.n}/${cell.expected}]` : "";
}

/**
 * Formats a number with a fixed number of decimals (`—` for `null`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(fmt(71.0649, 2), "71.06");
 * assert.equal(fmt(null, 2), "—");
 * ```
 */
export function fmt(v: number | null, digits = 2): string {
  return v === null ? "—" : v.toFixed(digits);
}

/**
 * Formats `mean ± std` (just the mean for a single seed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(meanStd(71.06, 0.73), "71.06 ± 0.73");
 * assert.equal(meanStd(71.06, null), "71.06");
 * ```
 */
export function meanStd(mean: number | null, std: number | null, digits = 2): string {
  if (mean === null) return "—";
  return std === null ? fmt(mean, digits) : `${fmt(mean, digits)} ± ${fmt(std, digits)}`;
}

/**
 * Formats a signed difference.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(signed(-0.5), "−0.50");
 * assert.equal(signed(0.001), "0.00");
 * assert.equal(signed(1.234), "+1.23");
 * ```
 */
export function signed(v: number | null, digits = 2): string {
  if (v === null) return "";
  const t = Math.abs(v).toFixed(digits);
  if (Number(t) === 0) return t;
  return v > 0 ? `+${t}` : `−${t}`;
}
