/**
 * The numbers a report reads from one run: accuracies by modality and by role (strong,
 * lazy), the discrepancy ratio and its distance to 1, and the share of training samples
 * whose per-sample I(X_m;Z;Y) lower bound is above a threshold.
 *
 * @module
 */
import { infoEpochs, readInfo, type RunRecord, type RunSummary } from "./records.ts";
import type { EpochRow } from "./records.ts";
import { datasetRoles } from "../experiment/names.ts";

/** Metric name to value (`null`: the run has no such number). */
export type MetricValues = Record<string, number | null>;

/**
 * The lazy modality of a run (the first modality that is not the strong one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(lazyModality({ modalities: ["audio", "visual"], strong: "audio" }), "visual");
 * ```
 */
export function lazyModality(s: Pick<RunSummary, "modalities" | "strong">): string {
  return s.modalities.find((m) => m !== s.strong) ?? s.strong;
}

/**
 * Per-sample lower bound of I(X_m;Z;Y) from `info_epoch<E>.csv` rows:
 * `fused_logp + <modality>_logp + log C` (Eq. 7 with Eqs. 10-11, uniform labels), in nats.
 * Rows without both values are skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(infoBounds([{ index: 0, label: 1, fused_logp: -0.1, audio_logp: -0.2 }], "audio", 6), [Math.log(6) - 0.3]);
 * ```
 */
export function infoBounds(rows: EpochRow[], modality: string, numClasses: number): number[] {
  const logC = Math.log(numClasses);
  const out: number[] = [];
  for (const r of rows) {
    const z = r.fused_logp;
    const m = r[`${modality}_logp`];
    if (z === null || z === undefined || m === null || m === undefined) continue;
    out.push(z + m + logC);
  }
  return out;
}

/**
 * Share (fraction in [0,1]) of values strictly above `threshold`; `null` for no values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(shareAbove([-1, 0, 1, 2], 0), 0.5);
 * ```
 */
export function shareAbove(values: number[], threshold: number): number | null {
  if (values.length === 0) return null;
  return values.filter((v) => v > threshold).length / values.length;
}

/**
 * The number of classes of a run's dataset (from the dataset specs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(numClassesOf("crema-d"), 6);
 * ```
 */
export function numClassesOf(dataset: string): number {
  const roles = datasetRoles(dataset);
  if (!roles) throw new Error(`unknown dataset '${dataset}': cannot compute log C`);
  return roles.numClasses;
}

/**
 * Every metric of one run, accuracies as fractions. `select` picks the summary's `best`
 * (selected epoch) or `final` accuracies; `threshold` is the histogram threshold for
 * `info_high_*` (read from the run's last `info_epoch<E>.csv`, if any).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordMetrics } from "./metrics.ts";
 * import { readExperimentRuns } from "./records.ts";
 * // one finished run, as "main.ts run" writes it
 * const out = await Deno.makeTempDir();
 * const dir = `${out}/runs/table2/ibml__crema-d__s0`;
 * await Deno.mkdir(dir, { recursive: true });
 * await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify({
 *   method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
 *   modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.8 },
 *   best: { fusion: 0.8, audio: 0.6, visual: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
 * }));
 * const rec = (await readExperimentRuns(out, "table2"))[0];
 * const m = await recordMetrics(rec, "best", 0);
 * assert.equal(m.ratio, 1.5);
 * assert.equal(m.lazy, 0.7); // visual: the lazy modality on CREMA-D
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function recordMetrics(
  rec: RunRecord,
  select: "best" | "final",
  threshold = 0,
): Promise<MetricValues> {
  const s = rec.summary;
  const acc = s[select] ?? {};
  const num = (
    v: unknown,
  ): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const out: MetricValues = {};
  out.fusion = num(acc.fusion);
  for (const m of s.modalities) out[m] = num(acc[m]);
  const lazy = lazyModality(s);
  out.strong = out[s.strong] ?? null;
  out.lazy = out[lazy] ?? null;
  out.ratio = num(s.ratio_mean);
  out.ratio_gap = out.ratio === null ? null : Math.abs(out.ratio - 1);
  out.info_high_strong = null;
  out.info_high_lazy = null;
  const epochs = infoEpochs(rec.dir);
  if (epochs.length > 0) {
    const rows = await readInfo(rec.dir, epochs[epochs.length - 1]);
    const c = numClassesOf(s.dataset);
    out.info_high_strong = shareAbove(infoBounds(rows, s.strong, c), threshold);
    out.info_high_lazy = shareAbove(infoBounds(rows, lazy, c), threshold);
  }
  return out;
}

/**
 * Whether a metric is an accuracy or a share (shown in percent) rather than a ratio.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isPercentMetric("fusion"));
 * assert.equal(isPercentMetric("ratio"), false);
 * ```
 */
export function isPercentMetric(metric: string): boolean {
  return metric !== "ratio" && metric !== "ratio_gap";
}
