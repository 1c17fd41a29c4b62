/**
 * Training curves of any experiment, per method (entry): the mean over seeds of each
 * epoch's training loss, fused / strong / lazy test accuracy and discrepancy ratio, read
 * from the runs' `epochs.csv`; as a vega-lite spec (one row of panels per quantity, one
 * column per dataset, one colour per entry) for the HTML report.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { datasetLabel } from "../experiment/names.ts";
import type { Experiment } from "../experiment/types.ts";
import type { MetricIndex } from "./aggregate.ts";
import { meanCurve } from "./curves.ts";
import { lazyModality } from "./metrics.ts";
import { readEpochs } from "./records.ts";

/** One point of a training curve. */
export interface TrainingPoint {
  /** Quantity (facet row). */
  quantity: string;
  /** Dataset label with its strong/lazy modalities (facet column). */
  dataset: string;
  /** Entry label (colour). */
  series: string;
  /** Epoch. */
  epoch: number;
  /** Value: percent for accuracies, plain for loss and ratio. */
  value: number;
}

/** Everything a training-curve figure needs. */
export interface TrainingCurves {
  /** Points. */
  data: TrainingPoint[];
  /** Quantities (rows) in display order, only those with data. */
  quantities: string[];
  /** Dataset columns in display order, only those with data. */
  datasets: string[];
  /** Entry labels in legend order, only those with data. */
  series: string[];
  /** Seeds averaged. */
  seeds: number[];
}

const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

const QUANTITIES = [
  { title: "Training loss", column: () => "train_loss", scale: 1 },
  { title: "Fused test acc. (%)", column: () => "test_acc_fusion", scale: 100 },
  {
    title: "Strong test acc. (%)",
    column: (strong: string) => `test_acc_${strong}`,
    scale: 100,
  },
  {
    title: "Lazy test acc. (%)",
    column: (_strong: string, lazy: string) => `test_acc_${lazy}`,
    scale: 100,
  },
  { title: "Ratio strong/lazy", column: () => "ratio_mean", scale: 1 },
];

/**
 * Collects per-entry training curves (mean over seeds) of an experiment's finished runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingCurves } from "./training_curves.ts";
 * import { loadReport } from "./report.ts";
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
 * const report = await loadReport(exp, { out });
 * const tc = await trainingCurves(exp, report.index);
 * assert.deepEqual(tc.quantities.slice(0, 2), ["Training loss", "Fused test acc. (%)"]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function trainingCurves(exp: Experiment, index: MetricIndex): Promise<TrainingCurves> {
  const data: TrainingPoint[] = [];
  const columns: string[] = [];
  const seeds = new Set<number>();
  for (const dataset of exp.datasets) {
    const any = exp.entries.flatMap((e) => index.runs(e.name, dataset))[0];
    if (!any) continue;
    const strong = any.summary.strong;
    const lazy = lazyModality(any.summary);
    const column = `${datasetLabel(dataset)} (strong ${strong}, lazy ${lazy})`;
    for (const entry of exp.entries) {
      const runs = index.runs(entry.name, dataset);
      if (runs.length === 0) continue;
      const rows = await Promise.all(runs.map((r) => readEpochs(r.dir)));
      if (rows.every((r) => r.length === 0)) continue;
      runs.forEach((r) => seeds.add(r.seed));
      if (!columns.includes(column)) columns.push(column);
      for (const q of QUANTITIES) {
        for (const p of meanCurve(rows, q.column(strong, lazy))) {
          data.push({
            quantity: q.title,
            dataset: column,
            series: entry.label,
            epoch: p.epoch,
            value: p.value * q.scale,
          });
        }
      }
    }
  }
  const usedQ = new Set(data.map((d) => d.quantity));
  const usedSeries = new Set(data.map((d) => d.series));
  return {
    data,
    quantities: QUANTITIES.map((q) => q.title).filter((q) => usedQ.has(q)),
    datasets: columns,
    series: [...new Set(exp.entries.map((e) => e.label))].filter((l) => usedSeries.has(l)),
    seeds: [...seeds].sort((a, b) => a - b),
  };
}

/**
 * The vega-lite spec of the training curves: a grid of small panels (quantity by
 * dataset), each with its own y scale; one line per entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingCurves, trainingCurvesSpec } from "./training_curves.ts";
 * import { loadReport } from "./report.ts";
 * import { renderSvg } from "./render.ts";
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
 * const tc = await trainingCurves(exp, (await loadReport(exp, { out })).index);
 * const svg = await renderSvg(trainingCurvesSpec(tc, { title: "Training curves", subtitle: [] }));
 * assert.ok(svg.startsWith("<svg"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function trainingCurvesSpec(
  tc: TrainingCurves,
  meta: { title: string; subtitle: string[] },
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: meta.title, subtitle: meta.subtitle, anchor: "start", fontSize: 14 },
    config: { font: "DejaVu Sans", legend: { orient: "right" } },
    background: "white",
    padding: 12,
    data: { values: tc.data },
    facet: {
      row: {
        field: "quantity",
        type: "nominal",
        sort: tc.quantities,
        title: null,
        header: { labelAngle: 0, labelAlign: "left", labelLimit: 300, labelFontSize: 12 },
      },
      column: {
        field: "dataset",
        type: "nominal",
        sort: tc.datasets,
        title: null,
        header: { labelFontSize: 12, labelLimit: 400 },
      },
    },
    spec: {
      width: 280,
      height: 120,
      mark: { type: "line", strokeWidth: 1.6, point: tc.data.length < 400 ? { size: 14 } : false },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "Epoch", axis: { tickMinStep: 1 } },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        color: {
          field: "series",
          type: "nominal",
          scale: {
            domain: tc.series,
            range: tc.series.map((_, i) => PALETTE[i % PALETTE.length]),
          },
          legend: { title: "Method", labelLimit: 400 },
        },
      },
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}
