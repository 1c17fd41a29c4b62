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
 * summarize([{ seed: 0, value: 1 }, { seed: 1, value: 2 }, { seed: 2, value: 3 }]);
 * // { mean: 2, std: 1, n: 3, values: [...] }
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
   * ```ts ignore
   * const index = await MetricIndex.build(await readExperimentRuns("results", "table2"), "best");
   * index.stat("ibml", "crema-d", "fusion")?.mean;
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
   * ```ts ignore
   * const index = new MetricIndex();
   * index.add(record, { fusion: 0.7 });
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
   * ```ts ignore
   * index.values("ibml", "crema-d", "fusion"); // [{ seed: 0, value: 0.71 }, ...]
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
   * ```ts ignore
   * index.stat("ibml", "crema-d", "ratio")?.mean;
   * ```
   */
  stat(entry: string, dataset: string, metric: string): Stat | null {
    return summarize(this.values(entry, dataset, metric));
  }

  /**
   * The run records of an entry on a dataset.
   *
   * @example
   * ```ts ignore
   * index.runs("ibml", "crema-d").length; // 3
   * ```
   */
  runs(entry: string, dataset: string): RunRecord[] {
    return (this.#cells.get(`${entry}|${dataset}`) ?? []).map((x) => x.record);
  }
}
