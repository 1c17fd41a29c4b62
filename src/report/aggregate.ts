/**
 * Aggregation over seeds: mean and sample standard deviation (n - 1, as the paper's
 * "mean ± std over three random runs" most plausibly is), and a lookup of per-seed values
 * by entry, dataset and metric.
 *
 * @module
 */
import { type MetricValues, recordMetrics } from "./metrics.ts";
import type { RunRecord } from "./records.ts";

/** Mean and spread of one cell over seeds. */
export interface Stat {
  /** Mean. */
  mean: number;
  /** Sample standard deviation (n - 1); `null` for a single value. */
  std: number | null;
  /** Number of values. */
  n: number;
  /** The values by seed, ascending seed. */
  values: { seed: number; value: number }[];
}

/**
 * Mean and sample std (n - 1) of per-seed values; `null` for no values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = summarize([{ seed: 0, value: 1 }, { seed: 1, value: 2 }, { seed: 2, value: 3 }]);
 * assert.deepEqual([s?.mean, s?.std, s?.n], [2, 1, 3]); // and s.values, the per-seed values
 * assert.equal(summarize([]), null);
 * ```
 */
export function summarize(values: { seed: number; value: number }[]): Stat | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a.seed - b.seed);
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v.value, 0) / n;
  const std = n < 2
    ? null
    : Math.sqrt(sorted.reduce((s, v) => s + (v.value - mean) ** 2, 0) / (n - 1));
  return { mean, std, n, values: sorted };
}

/** Per-seed metric values of an experiment's runs, by entry and dataset. */
export class MetricIndex {
  readonly #cells = new Map<string, { seed: number; values: MetricValues; record: RunRecord }[]>();

  /** Records of the index, in insertion order. */
  readonly records: RunRecord[] = [];

  /**
   * Builds the index from run records.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MetricIndex } from "./aggregate.ts";
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
   * const index = await MetricIndex.build(await readExperimentRuns(out, "table2"), "best");
   * assert.equal(index.stat("ibml", "crema-d", "fusion")?.mean, 0.8);
   * await Deno.remove(out, { recursive: true });
   * ```
   */
  static async build(
    records: RunRecord[],
    select: "best" | "final",
    threshold = 0,
  ): Promise<MetricIndex> {
    const index = new MetricIndex();
    for (const rec of records) index.add(rec, await recordMetrics(rec, select, threshold));
    return index;
  }

  /**
   * Adds one run's metric values.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MetricIndex } from "./aggregate.ts";
   * import type { RunRecord } from "./records.ts";
   * const record: RunRecord = {
   *   runId: "ibml__crema-d__s0", dir: "results/runs/table2/ibml__crema-d__s0",
   *   entry: "ibml", dataset: "crema-d", seed: 0,
   *   summary: {
   *     method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
   *     modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.7 },
   *     best: { fusion: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
   *   },
   * };
   * const index = new MetricIndex();
   * index.add(record, { fusion: 0.7 });
   * assert.deepEqual(index.values("ibml", "crema-d", "fusion"), [{ seed: 0, value: 0.7 }]);
   * ```
   */
  add(record: RunRecord, values: MetricValues): void {
    const key = `${record.entry}|${record.dataset}`;
    const list = this.#cells.get(key) ?? [];
    const existing = list.findIndex((x) => x.seed === record.seed);
    const item = { seed: record.seed, values, record };
    if (existing >= 0) list[existing] = item;
    else list.push(item);
    this.#cells.set(key, list);
    this.records.push(record);
  }

  /**
   * The per-seed values of a metric for an entry on a dataset (seeds without it omitted).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MetricIndex } from "./aggregate.ts";
   * import type { RunRecord } from "./records.ts";
   * const record: RunRecord = {
   *   runId: "ibml__crema-d__s0", dir: "results/runs/table2/ibml__crema-d__s0",
   *   entry: "ibml", dataset: "crema-d", seed: 0,
   *   summary: {
   *     method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
   *     modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.7 },
   *     best: { fusion: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
   *   },
   * };
   * const index = new MetricIndex();
   * index.add(record, { fusion: 0.71 });
   * index.add({ ...record, runId: "ibml__crema-d__s1", seed: 1 }, { fusion: 0.73 });
   * assert.deepEqual(index.values("ibml", "crema-d", "fusion"), [
   *   { seed: 0, value: 0.71 },
   *   { seed: 1, value: 0.73 },
   * ]);
   * ```
   */
  values(entry: string, dataset: string, metric: string): { seed: number; value: number }[] {
    const list = this.#cells.get(`${entry}|${dataset}`) ?? [];
    const out: { seed: number; value: number }[] = [];
    for (const x of list) {
      const v = x.values[metric];
      if (typeof v === "number" && Number.isFinite(v)) out.push({ seed: x.seed, value: v });
    }
    return out.sort((a, b) => a.seed - b.seed);
  }

  /**
   * Mean ± std of a metric over seeds, `null` when no run has it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MetricIndex } from "./aggregate.ts";
   * import type { RunRecord } from "./records.ts";
   * const record: RunRecord = {
   *   runId: "ibml__crema-d__s0", dir: "results/runs/table2/ibml__crema-d__s0",
   *   entry: "ibml", dataset: "crema-d", seed: 0,
   *   summary: {
   *     method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
   *     modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.7 },
   *     best: { fusion: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
   *   },
   * };
   * const index = new MetricIndex();
   * index.add(record, { ratio: 1.4 });
   * index.add({ ...record, runId: "ibml__crema-d__s1", seed: 1 }, { ratio: 1.6 });
   * assert.equal(index.stat("ibml", "crema-d", "ratio")?.mean, 1.5);
   * assert.equal(index.stat("ibml", "crema-d", "fusion"), null); // no run has it
   * ```
   */
  stat(entry: string, dataset: string, metric: string): Stat | null {
    return summarize(this.values(entry, dataset, metric));
  }

  /**
   * The run records of an entry on a dataset.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MetricIndex } from "./aggregate.ts";
   * import type { RunRecord } from "./records.ts";
   * const record: RunRecord = {
   *   runId: "ibml__crema-d__s0", dir: "results/runs/table2/ibml__crema-d__s0",
   *   entry: "ibml", dataset: "crema-d", seed: 0,
   *   summary: {
   *     method: "ibml", dataset: "crema-d", seed: 0, profile: "quick", backend: "wasm",
   *     modalities: ["audio", "visual"], strong: "audio", epochs: 2, final: { fusion: 0.7 },
   *     best: { fusion: 0.7 }, ratio_mean: 1.5, wall_s: 1, config_hash: "h",
   *   },
   * };
   * const index = new MetricIndex();
   * index.add(record, { fusion: 0.7 });
   * assert.equal(index.runs("ibml", "crema-d").length, 1);
   * assert.deepEqual(index.runs("concat", "crema-d"), []);
   * ```
   */
  runs(entry: string, dataset: string): RunRecord[] {
    return (this.#cells.get(`${entry}|${dataset}`) ?? []).map((x) => x.record);
  }
}
