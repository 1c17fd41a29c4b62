/**
 * An experiment's report from its run records: the table model (with published numbers
 * and claims), the figure spec, and writing them under `<out>/tables/` and
 * `<out>/figures/` atomically (temporary file + rename, so nothing half-written looks done).
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import type { Experiment } from "../experiment/types.ts";
import { MetricIndex } from "./aggregate.ts";
import { curveData, curvesSpec } from "./curves.ts";
import { histogramData, histogramSpec } from "./histogram.ts";
import { loadPublished, PUBLISHED_DIR } from "./published.ts";
import { type RunRecord, scanExperimentRuns } from "./records.ts";
import { renderSvg, svgToPng } from "./render.ts";
import { renderCsv } from "./table_csv.ts";
import { renderMarkdown } from "./table_md.ts";
import { buildTable, SYNTHETIC_NOTE, type TableModel } from "./table_model.ts";
import { renderLatex } from "./table_tex.ts";

/** Table output formats. */
export type TableFormat = "md" | "csv" | "tex";
/** Figure output formats. */
export type FigureFormat = "svg" | "png";

/** Options of {@linkcode loadReport}. */
export interface ReportOptions {
  /** Output root holding `runs/` (default `results`). */
  out?: string;
  /** Whether a method is implemented (for "not implemented" rows). */
  implemented?: (method: string) => boolean;
  /** Folder of the published CSVs. */
  publishedDir?: string;
  /** Keep only the runs this accepts (e.g. one profile). */
  filter?: (record: RunRecord) => boolean;
  /** Number of runs the sweep planned (the header says when fewer finished). */
  expected?: number;
  /** Runs planned per cell (entry, dataset): cells with fewer are marked incomplete. */
  expectedPerCell?: (entry: string, dataset: string) => number;
}

/** A loaded report. */
export interface Report {
  /** The experiment. */
  experiment: Experiment;
  /** Per-seed metrics of its finished runs. */
  index: MetricIndex;
  /** The table. */
  table: TableModel;
}

/**
 * Reads an experiment's finished runs and builds its table, published numbers and claims.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadReport, renderTable } from "./report.ts";
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
 * const report = await loadReport(await loadExperiment("table2"), { out });
 * assert.equal(report.table.facts.runs, 1);
 * console.log(renderTable(report.table, "md"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function loadReport(exp: Experiment, opts: ReportOptions = {}): Promise<Report> {
  const { records: all, problems } = await scanExperimentRuns(opts.out ?? "results", exp.name);
  const records = opts.filter ? all.filter(opts.filter) : all;
  const index = await MetricIndex.build(records, exp.report.select, exp.report.threshold);
  const published = exp.report.published
    ? await loadPublished(exp.report.published, opts.publishedDir ?? PUBLISHED_DIR)
    : undefined;
  const table = buildTable(exp, index, {
    published,
    implemented: opts.implemented,
    expected: opts.expected,
    expectedPerCell: opts.expectedPerCell,
    problems,
  });
  return { experiment: exp, index, table };
}

/**
 * Renders a table in one format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadReport, renderTable } from "./report.ts";
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
 * const report = await loadReport(await loadExperiment("table2"), { out });
 * assert.ok(renderTable(report.table, "tex").includes("\\begin{tabular}"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function renderTable(model: TableModel, format: TableFormat): string {
  if (format === "md") return renderMarkdown(model);
  if (format === "csv") return renderCsv(model);
  return renderLatex(model);
}

/**
 * Whether an experiment's report is a figure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFigure } from "./report.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * assert.ok(isFigure(await loadExperiment("fig2")));
 * assert.equal(isFigure(await loadExperiment("table2")), false);
 * ```
 */
export function isFigure(exp: Experiment): boolean {
  return exp.report.kind === "curves" || exp.report.kind === "info-histogram";
}

/**
 * The vega-lite spec of a figure experiment's report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figureSpec, loadReport } from "./report.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/fig4/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.writeTextFile(
 *   `${dir}/epochs.csv`,
 *   "epoch,train_loss,test_acc_fusion,test_acc_audio,test_acc_visual,ratio_mean\n" +
 *     "1,1.2,0.6,0.5,0.6,1.8\n2,0.9,0.8,0.6,0.7,1.5\n",
 * );
 * const exp = await loadExperiment("fig4");
 * const spec = await figureSpec(await loadReport(exp, { out }));
 * assert.equal((spec.title as { text: string }).text, exp.title); // a Vega-Lite spec
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function figureSpec(report: Report): Promise<TopLevelSpec> {
  const exp = report.experiment;
  const t = report.table;
  const subtitle = [
    `${exp.paper ? `Reproduces ${exp.paper}. ` : ""}${t.header[0]}`,
  ];
  if (t.synthetic) subtitle.push(`${SYNTHETIC_NOTE[0].toUpperCase()}${SYNTHETIC_NOTE.slice(1)}.`);
  if (exp.report.kind === "curves") {
    const cd = await curveData(exp, report.index);
    subtitle.push(
      `Curves: mean over seeds ${
        cd.seeds.join(", ") || "none"
      }; dashed: best test accuracy of the modality trained alone.`,
    );
    return curvesSpec(cd, { title: exp.title, subtitle });
  }
  if (exp.report.kind === "info-histogram") {
    const hd = await histogramData(exp, report.index);
    subtitle.push(
      `Per-sample lower bound log softmax(z)[y] + log softmax(g_m)[y] + log C on the training set (eval mode), ` +
        `seeds pooled; dashed line: threshold ${hd.threshold} nats.`,
    );
    return histogramSpec(hd, { title: exp.title, subtitle });
  }
  throw new Error(
    `${exp.name} is a ${exp.report.kind} experiment, not a figure: use "main.ts table ${exp.name}"`,
  );
}

/**
 * Writes a file atomically (temporary file in the same folder, then rename).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAtomic } from "./report.ts";
 * const out = await Deno.makeTempDir();
 * await writeAtomic(`${out}/tables/table2.md`, "...");
 * assert.equal(await Deno.readTextFile(`${out}/tables/table2.md`), "...");
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function writeAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const dir = path.slice(0, Math.max(0, path.lastIndexOf("/")));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    if (typeof content === "string") await Deno.writeTextFile(tmp, content);
    else await Deno.writeFile(tmp, content);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Writes the table in each format under `<out>/tables/<experiment>.<format>`; returns the paths.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadReport, writeTables } from "./report.ts";
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
 * const report = await loadReport(await loadExperiment("table2"), { out });
 * const paths = await writeTables(report.table, ["md", "csv", "tex"], out);
 * assert.deepEqual(paths, ["md", "csv", "tex"].map((f) => `${out}/tables/table2.${f}`));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function writeTables(
  model: TableModel,
  formats: TableFormat[],
  out: string,
): Promise<string[]> {
  const paths: string[] = [];
  for (const f of formats) {
    const path = `${out.replace(/\/+$/, "")}/tables/${model.experiment}.${f}`;
    await writeAtomic(path, renderTable(model, f));
    paths.push(path);
  }
  return paths;
}

/**
 * Renders and writes a figure under `<out>/figures/<experiment>.<format>`; returns the paths.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadReport, writeFigure } from "./report.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/fig4/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.writeTextFile(
 *   `${dir}/epochs.csv`,
 *   "epoch,train_loss,test_acc_fusion,test_acc_audio,test_acc_visual,ratio_mean\n" +
 *     "1,1.2,0.6,0.5,0.6,1.8\n2,0.9,0.8,0.6,0.7,1.5\n",
 * );
 * const report = await loadReport(await loadExperiment("fig4"), { out });
 * const paths = await writeFigure(report, ["svg"], out); // ["svg", "png"] adds the PNG
 * assert.deepEqual(paths, [`${out}/figures/fig4.svg`]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function writeFigure(
  report: Report,
  formats: FigureFormat[],
  out: string,
): Promise<string[]> {
  const svg = await renderSvg(await figureSpec(report));
  const paths: string[] = [];
  for (const f of formats) {
    const path = `${out.replace(/\/+$/, "")}/figures/${report.experiment.name}.${f}`;
    await writeAtomic(path, f === "svg" ? svg : svgToPng(svg));
    paths.push(path);
  }
  return paths;
}
