/**
 * Figures 2, 4 and 5: per-epoch curves of fused, strong and lazy test accuracy and of the
 * discrepancy ratio, from `epochs.csv` (means over seeds), with the best accuracy of each
 * modality trained alone (`unimodal` entries) as dashed lines; as a vega-lite spec.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { datasetLabel } from "../experiment/names.ts";
import type { Experiment } from "../experiment/types.ts";
import type { MetricIndex } from "./aggregate.ts";
import { lazyModality } from "./metrics.ts";
import { type EpochRow, readEpochs, type RunRecord } from "./records.ts";

/** One point or reference level of a curve figure. */
export interface CurveDatum {
  /** `curve` (per-epoch line) or `ref` (dashed best-unimodal level). */
  kind: "curve" | "ref";
  /** Chart: accuracy or ratio. */
  chart: "accuracy" | "ratio";
  /** Facet panel label. */
  panel: string;
  /** Colour series. */
  series: string;
  /** Line style legend value. */
  source: string;
  /** Epoch (curves only). */
  epoch: number | null;
  /** Value: percent for accuracies, plain for the ratio. */
  value: number;
}

/** Everything a curve figure needs. */
export interface CurveData {
  /** Data points. */
  data: CurveDatum[];
  /** Accuracy-chart panels, in order. */
  panels: string[];
  /** Ratio-chart panels, in order. */
  ratioPanels: string[];
  /** Colour series in legend order, and their colours. */
  series: { name: string; color: string }[];
  /** Number of seeds averaged. */
  seeds: number[];
}

/** Line style name of the per-epoch curves. */
export const SOURCE_RUN = "per epoch";
/** Line style name of the dashed reference. */
export const SOURCE_UNIMODAL = "best, modality trained alone";

const ROLE_COLORS = { Fusion: "#1f77b4", "Strong modality": "#9467bd", "Lazy modality": "#2ca02c" };
const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
];

/**
 * Mean over runs of a column per epoch (epochs where no run has a value are left out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(meanCurve([[{ epoch: 1, a: 1 }], [{ epoch: 1, a: 3 }]], "a"), [{ epoch: 1, value: 2 }]);
 * ```
 */
export function meanCurve(runs: EpochRow[][], column: string): { epoch: number; value: number }[] {
  const acc = new Map<number, number[]>();
  for (const rows of runs) {
    for (const r of rows) {
      const e = r.epoch;
      const v = r[column];
      if (e === null || e === undefined || v === null || v === undefined) continue;
      const list = acc.get(e) ?? [];
      list.push(v);
      acc.set(e, list);
    }
  }
  return [...acc.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, vs]) => ({
    epoch,
    value: vs.reduce((s, v) => s + v, 0) / vs.length,
  }));
}

/**
 * Mean over runs of each run's best (maximum over epochs) value of a column; `null` when
 * no run has it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(meanOfBest([[{ epoch: 1, a: 0.2 }, { epoch: 2, a: 0.4 }], [{ epoch: 1, a: 0.6 }]], "a"), 0.5);
 * ```
 */
export function meanOfBest(runs: EpochRow[][], column: string): number | null {
  const bests = runs.map((rows) => {
    const vs = rows.map((r) => r[column]).filter((v): v is number => typeof v === "number");
    return vs.length ? Math.max(...vs) : null;
  }).filter((v): v is number => v !== null);
  return bests.length ? bests.reduce((s, v) => s + v, 0) / bests.length : null;
}

async function epochsOf(runs: RunRecord[]): Promise<EpochRow[][]> {
  return await Promise.all(runs.map((r) => readEpochs(r.dir)));
}

/**
 * Collects the curve data of an experiment from its runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curveData } from "./curves.ts";
 * import { MetricIndex } from "./aggregate.ts";
 * import { readExperimentRuns } from "./records.ts";
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
 * const index = await MetricIndex.build(await readExperimentRuns(out, "fig4"), "best");
 * const data = await curveData(exp, index);
 * assert.deepEqual(data.seeds, [0]);
 * assert.ok(data.data.some((d) => d.kind === "curve" && d.epoch === 2));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function curveData(exp: Experiment, index: MetricIndex): Promise<CurveData> {
  const refs = new Set(exp.report.reference);
  const shown = exp.report.show.length
    ? exp.report.show
    : exp.entries.map((e) => e.name).filter((n) => !refs.has(n));
  const label = (name: string) => exp.entries.find((e) => e.name === name)?.label ?? name;
  const multi = exp.datasets.length > 1;
  const data: CurveDatum[] = [];
  const panels: string[] = [];
  const ratioPanels: string[] = [];
  const seeds = new Set<number>();
  const overlay = exp.report.layout === "overlay";
  const series: { name: string; color: string }[] = overlay
    ? shown.map((n, i) => ({ name: label(n), color: PALETTE[i % PALETTE.length] }))
    : Object.entries(ROLE_COLORS).map(([name, color]) => ({ name, color }));

  for (const dataset of exp.datasets) {
    const dl = datasetLabel(dataset);
    // Roles from any run of this dataset.
    const any = exp.entries.flatMap((e) => index.runs(e.name, dataset))[0];
    if (!any) continue;
    const strong = any.summary.strong;
    const lazy = lazyModality(any.summary);
    const roles = [
      { series: "Fusion", column: "test_acc_fusion", title: "Fusion" },
      { series: "Strong modality", column: `test_acc_${strong}`, title: `Strong (${strong})` },
      { series: "Lazy modality", column: `test_acc_${lazy}`, title: `Lazy (${lazy})` },
    ];
    const refLevels: { series: string; value: number }[] = [];
    for (const ref of exp.report.reference) {
      const rows = await epochsOf(index.runs(ref, dataset));
      for (const role of roles.slice(1)) {
        const v = meanOfBest(rows, role.column);
        if (v !== null) refLevels.push({ series: role.series, value: v * 100 });
      }
    }
    if (overlay) {
      for (const role of roles) {
        const panel = multi ? `${role.title} · ${dl}` : role.title;
        panels.push(panel);
        for (const ref of refLevels.filter((r) => r.series === role.series)) {
          data.push({
            kind: "ref",
            chart: "accuracy",
            panel,
            series: "Unimodal best",
            source: SOURCE_UNIMODAL,
            epoch: null,
            value: ref.value,
          });
        }
      }
      ratioPanels.push(multi ? `Discrepancy ratio · ${dl}` : "Discrepancy ratio");
    }
    for (const name of shown) {
      const runs = index.runs(name, dataset);
      runs.forEach((r) => seeds.add(r.seed));
      const rows = await epochsOf(runs);
      if (overlay) {
        for (const role of roles) {
          const panel = multi ? `${role.title} · ${dl}` : role.title;
          for (const p of meanCurve(rows, role.column)) {
            data.push({
              kind: "curve",
              chart: "accuracy",
              panel,
              series: label(name),
              source: SOURCE_RUN,
              epoch: p.epoch,
              value: p.value * 100,
            });
          }
        }
        const rp = ratioPanels[ratioPanels.length - 1];
        for (const p of meanCurve(rows, "ratio_mean")) {
          data.push({
            kind: "curve",
            chart: "ratio",
            panel: rp,
            series: label(name),
            source: SOURCE_RUN,
            epoch: p.epoch,
            value: p.value,
          });
        }
      } else {
        const panel = multi
          ? `${label(name)} · ${dl} (${strong}/${lazy})`
          : `${label(name)} (${strong}/${lazy})`;
        panels.push(panel);
        ratioPanels.push(panel);
        for (const role of roles) {
          for (const p of meanCurve(rows, role.column)) {
            data.push({
              kind: "curve",
              chart: "accuracy",
              panel,
              series: role.series,
              source: SOURCE_RUN,
              epoch: p.epoch,
              value: p.value * 100,
            });
          }
        }
        for (const ref of refLevels) {
          data.push({
            kind: "ref",
            chart: "accuracy",
            panel,
            series: ref.series,
            source: SOURCE_UNIMODAL,
            epoch: null,
            value: ref.value,
          });
        }
        for (const p of meanCurve(rows, "ratio_mean")) {
          data.push({
            kind: "curve",
            chart: "ratio",
            panel,
            series: "Discrepancy ratio",
            source: SOURCE_RUN,
            epoch: p.epoch,
            value: p.value,
          });
        }
      }
    }
  }
  if (overlay && data.some((d) => d.kind === "ref")) {
    series.push({ name: "Unimodal best", color: "#7f7f7f" });
  }
  const used = new Set(data.map((d) => d.series));
  return {
    data,
    panels,
    ratioPanels,
    series: overlay ? series.filter((s) => used.has(s.name)) : series,
    seeds: [...seeds].sort((a, b) => a - b),
  };
}

/**
 * The vega-lite spec of a curve figure: accuracy panels above ratio panels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curveData, curvesSpec } from "./curves.ts";
 * import { MetricIndex } from "./aggregate.ts";
 * import { readExperimentRuns } from "./records.ts";
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
 * const index = await MetricIndex.build(await readExperimentRuns(out, "fig4"), "best");
 * const spec = curvesSpec(await curveData(exp, index), { title: exp.title, subtitle: ["quick profile"] });
 * assert.ok((await renderSvg(spec)).startsWith("<svg"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function curvesSpec(
  cd: CurveData,
  meta: { title: string; subtitle: string[] },
): TopLevelSpec {
  const overlay = !cd.series.some((s) => s.name === "Fusion");
  const columns = Math.min(4, Math.max(1, cd.panels.length));
  const ratioColumns = Math.min(4, Math.max(1, cd.ratioPanels.length));
  const colorScale = { domain: cd.series.map((s) => s.name), range: cd.series.map((s) => s.color) };
  const dashScale = { domain: [SOURCE_RUN, SOURCE_UNIMODAL], range: [[1, 0], [6, 4]] };
  const hasRefs = cd.data.some((d) => d.kind === "ref");
  const x = {
    field: "epoch",
    type: "quantitative",
    title: "Epoch",
    axis: { tickMinStep: 1 },
  } as const;
  const accuracy = {
    data: { values: cd.data.filter((d) => d.chart === "accuracy") },
    facet: {
      field: "panel",
      type: "nominal",
      sort: cd.panels,
      title: null,
      header: { labelFontSize: 12 },
    },
    columns,
    spec: {
      width: 220,
      height: 160,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'curve'" }],
          mark: { type: "line", strokeWidth: 1.8 },
          encoding: {
            x,
            y: {
              field: "value",
              type: "quantitative",
              title: "Test accuracy (%)",
              scale: { domain: [0, 100] },
            },
            color: {
              field: "series",
              type: "nominal",
              scale: colorScale,
              legend: { title: overlay ? "Method" : "Accuracy of", labelLimit: 400 },
            },
            strokeDash: {
              field: "source",
              type: "nominal",
              scale: dashScale,
              legend: hasRefs ? { title: "Line", labelLimit: 400 } : null,
            },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'ref'" }],
          mark: { type: "rule", strokeWidth: 1.5 },
          encoding: {
            y: { field: "value", type: "quantitative" },
            color: { field: "series", type: "nominal", scale: colorScale },
            strokeDash: { field: "source", type: "nominal", scale: dashScale },
          },
        },
      ],
    },
  };
  const ratio = {
    data: { values: cd.data.filter((d) => d.chart === "ratio") },
    facet: {
      field: "panel",
      type: "nominal",
      sort: cd.ratioPanels,
      title: null,
      header: { labelFontSize: 12 },
    },
    columns: ratioColumns,
    spec: {
      width: 220,
      height: 130,
      layer: [
        {
          mark: { type: "line", strokeWidth: 1.8 },
          encoding: {
            x,
            y: {
              field: "value",
              type: "quantitative",
              title: "Discrepancy ratio (strong/lazy)",
              scale: { zero: false },
            },
            color: overlay
              ? { field: "series", type: "nominal", scale: colorScale }
              : { value: "#d62728" },
          },
        },
        {
          transform: [{ aggregate: [{ op: "count", as: "n" }], groupby: ["panel"] }],
          mark: { type: "rule", strokeDash: [2, 3], color: "#555555" },
          encoding: { y: { datum: 1 } },
        },
      ],
    },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: meta.title, subtitle: meta.subtitle, anchor: "start", fontSize: 15 },
    config: { font: "DejaVu Sans", legend: { orient: "right" } },
    background: "white",
    padding: 12,
    vconcat: [accuracy, ratio],
    resolve: { scale: { color: "shared", strokeDash: "shared" } },
  } as TopLevelSpec;
}
