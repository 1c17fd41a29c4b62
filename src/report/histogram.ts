/**
 * Figures 3 and 6: histograms over training samples of the per-sample I(X_m;Z;Y) lower
 * bound (`fused_logp + <modality>_logp + log C`, from `info_epoch<E>.csv`) for the strong
 * and the lazy modality, one panel per entry x modality x epoch, each with the share of
 * samples above and at or below the threshold; as a vega-lite spec. Values of all seeds
 * are pooled.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { datasetLabel } from "../experiment/names.ts";
import type { Experiment } from "../experiment/types.ts";
import type { MetricIndex } from "./aggregate.ts";
import { infoBounds, lazyModality, numClassesOf, shareAbove } from "./metrics.ts";
import { infoEpochs, readInfo } from "./records.ts";

/** Samples of one panel. */
export interface HistogramPanel {
  /** Row label: entry and modality. */
  row: string;
  /** Column label: epoch. */
  column: string;
  /** `strong` or `lazy`. */
  role: "strong" | "lazy";
  /** Bound values (nats). */
  values: number[];
}

/** Everything a histogram figure needs. */
export interface HistogramData {
  /** Panels. */
  panels: HistogramPanel[];
  /** Row labels in order. */
  rows: string[];
  /** Column labels in order. */
  columns: string[];
  /** Threshold (nats). */
  threshold: number;
  /** Largest possible bound, log C (nats). */
  upper: number;
}

/**
 * Equal-width bins of values between `lo` and `hi` (values outside are put in the first
 * or last bin); each bin's share of the values in percent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bins = binShares([0.1, 0.2, 0.9], 0, 1, 2);
 * // [{ x0: 0, x1: 0.5, share: 66.66... }, { x0: 0.5, x1: 1, share: 33.33... }]
 * assert.deepEqual(bins.map((b) => [b.x0, b.x1, Math.round(b.share)]), [[0, 0.5, 67], [0.5, 1, 33]]);
 * ```
 */
export function binShares(
  values: number[],
  lo: number,
  hi: number,
  bins: number,
): { x0: number; x1: number; share: number }[] {
  const width = (hi - lo) / bins;
  const counts = new Array(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    counts[i]++;
  }
  const n = values.length || 1;
  return counts.map((c, i) => ({
    x0: lo + i * width,
    x1: lo + (i + 1) * width,
    share: (c / n) * 100,
  }));
}

/**
 * Collects per-sample bounds of an experiment's runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { histogramData } from "./histogram.ts";
 * import { MetricIndex } from "./aggregate.ts";
 * import { readExperimentRuns } from "./records.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/fig6/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.writeTextFile(
 *   `${dir}/info_epoch2.csv`,
 *   "index,label,fused_logp,audio_logp,visual_logp\n0,1,-0.1,-0.2,-1.5\n1,0,-0.3,-0.1,-2.0\n",
 * );
 * const exp = await loadExperiment("fig6");
 * const index = await MetricIndex.build(await readExperimentRuns(out, "fig6"), "best");
 * const hd = await histogramData(exp, index);
 * assert.deepEqual(hd.columns, ["Epoch 2"]);
 * assert.equal(hd.panels.length, 2); // the strong and the lazy modality
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function histogramData(exp: Experiment, index: MetricIndex): Promise<HistogramData> {
  const panels: HistogramPanel[] = [];
  const rows: string[] = [];
  const epochSet = new Set<number>();
  let upper = 0;
  const shown = exp.report.show.length ? exp.report.show : exp.entries.map((e) => e.name);
  const multi = exp.datasets.length > 1;
  for (const dataset of exp.datasets) {
    const logC = Math.log(numClassesOf(dataset));
    upper = Math.max(upper, logC);
    for (const name of shown) {
      const label = exp.entries.find((e) => e.name === name)?.label ?? name;
      const runs = index.runs(name, dataset);
      if (runs.length === 0) continue;
      const s = runs[0].summary;
      const roles = [{ role: "strong" as const, modality: s.strong }, {
        role: "lazy" as const,
        modality: lazyModality(s),
      }];
      const pooled = new Map<string, number[]>();
      for (const run of runs) {
        for (const epoch of infoEpochs(run.dir)) {
          epochSet.add(epoch);
          const data = await readInfo(run.dir, epoch);
          for (const r of roles) {
            const key = `${r.role}|${epoch}`;
            pooled.set(key, [
              ...(pooled.get(key) ?? []),
              ...infoBounds(data, r.modality, Math.exp(logC)),
            ]);
          }
        }
      }
      for (const r of roles) {
        const row = `${label}${
          multi ? ` · ${datasetLabel(dataset)}` : ""
        } · ${r.role} (${r.modality})`;
        rows.push(row);
        for (const [key, values] of pooled) {
          const [role, epoch] = key.split("|");
          if (role === r.role) panels.push({ row, column: `Epoch ${epoch}`, role: r.role, values });
        }
      }
    }
  }
  const columns = [...epochSet].sort((a, b) => a - b).map((e) => `Epoch ${e}`);
  return { panels, rows, columns, threshold: exp.report.threshold, upper };
}

/**
 * The vega-lite spec of a histogram figure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { histogramData, histogramSpec } from "./histogram.ts";
 * import { MetricIndex } from "./aggregate.ts";
 * import { readExperimentRuns } from "./records.ts";
 * import { renderSvg } from "./render.ts";
 * import { loadExperiment } from "../experiment/catalog.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/fig6/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * await Deno.writeTextFile(
 *   `${dir}/info_epoch2.csv`,
 *   "index,label,fused_logp,audio_logp,visual_logp\n0,1,-0.1,-0.2,-1.5\n1,0,-0.3,-0.1,-2.0\n",
 * );
 * const exp = await loadExperiment("fig6");
 * const index = await MetricIndex.build(await readExperimentRuns(out, "fig6"), "best");
 * const spec = histogramSpec(await histogramData(exp, index), { title: exp.title, subtitle: [] });
 * assert.ok((await renderSvg(spec)).startsWith("<svg"));
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export function histogramSpec(
  hd: HistogramData,
  meta: { title: string; subtitle: string[] },
  bins = 30,
): TopLevelSpec {
  const all = hd.panels.flatMap((p) => p.values).sort((a, b) => a - b);
  const q = all.length ? all[Math.floor(all.length * 0.01)] : hd.threshold - 1;
  const lo = Math.min(q, hd.threshold - 0.5);
  const hi = Math.max(hd.upper, hd.threshold + 0.5);
  const data: Record<string, unknown>[] = [];
  for (const p of hd.panels) {
    for (const b of binShares(p.values, lo, hi, bins)) {
      data.push({ kind: "bar", row: p.row, column: p.column, role: p.role, ...b });
    }
    const above = shareAbove(p.values, hd.threshold);
    const pct = above === null ? 0 : Math.round(above * 100);
    const text = above === null
      ? "no samples"
      : `> ${hd.threshold}: ${pct}% · ≤ ${hd.threshold}: ${100 - pct}%`;
    data.push({ kind: "text", row: p.row, column: p.column, role: p.role, text });
  }
  const roleScale = { domain: ["strong", "lazy"], range: ["#2ca02c", "#1f77b4"] };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: meta.title, subtitle: meta.subtitle, anchor: "start", fontSize: 15 },
    config: { font: "DejaVu Sans" },
    background: "white",
    padding: 12,
    data: { values: data },
    facet: {
      row: {
        field: "row",
        type: "nominal",
        sort: hd.rows,
        title: null,
        header: { labelAngle: 0, labelAlign: "left", labelFontSize: 11 },
      },
      column: {
        field: "column",
        type: "nominal",
        sort: hd.columns,
        title: null,
        header: { labelFontSize: 12 },
      },
    },
    spec: {
      width: 200,
      height: 110,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'bar'" }],
          mark: { type: "rect", opacity: 0.85 },
          encoding: {
            x: {
              field: "x0",
              type: "quantitative",
              title: "I(X_m; Z; Y) lower bound (nats)",
              scale: { domain: [lo, hi], nice: false },
            },
            x2: { field: "x1" },
            y: { field: "share", type: "quantitative", title: "Samples (%)" },
            y2: { datum: 0 },
            color: {
              field: "role",
              type: "nominal",
              scale: roleScale,
              legend: { title: "Modality" },
            },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'text'" }],
          mark: { type: "rule", strokeDash: [4, 3], color: "black" },
          encoding: { x: { datum: hd.threshold } },
        },
        {
          transform: [{ filter: "datum.kind === 'text'" }],
          mark: { type: "text", align: "left", baseline: "top", fontSize: 10, dx: 4, dy: 4 },
          encoding: { text: { field: "text" }, x: { value: 0 }, y: { value: 0 } },
        },
      ],
    },
  } as TopLevelSpec;
}
