/**
 * Repeated bench rounds (`deno task bench --rounds N`): one configuration's timings joined
 * over the rounds, and ratios taken round by round.
 *
 * On a shared machine the speed drifts by tens of percent over minutes, so a ratio of two
 * medians measured minutes apart (ours against PyTorch, 2 threads against 1) carries that
 * drift. A round measures every configuration of a model back to back; the ratio is taken
 * inside each round and the median over rounds is reported, with the range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinRounds, pairedRatio } from "./rounds.ts";
 * const ours = [{ median_ms: 2100, min_ms: 2000 }, { median_ms: 2500, min_ms: 2400 }, { median_ms: 2300, min_ms: 2250 }];
 * const torch = [1900, 2200, 1800];
 * assert.equal(joinRounds(ours).median_ms, 2300);
 * const r = pairedRatio(ours.map((o) => o.median_ms), torch)!;
 * assert.deepEqual([r.median.toFixed(2), r.min.toFixed(2), r.max.toFixed(2)], ["1.14", "1.11", "1.28"]);
 * ```
 *
 * @module
 */
import { median } from "./median.ts";

/** The timing fields of one round's measurement. */
export interface Timed {
  /** Median step time of the round (ms). */
  median_ms?: number;
  /** Fastest step of the round (ms). */
  min_ms?: number;
  /** Peak RSS of the round's process (MiB). */
  peak_rss_mib?: number;
  /** Steps timed in the round. */
  steps?: number;
}

/**
 * One configuration's rounds as one measurement: the median of the round medians, the
 * fastest step of all, the largest peak RSS, the steps summed, every other field from the
 * first round, and `round_ms`, the round medians in order. Rounds without a median (failed
 * runs) are left out; with none left, the first round is returned as it is.
 */
export function joinRounds<T extends Timed>(rounds: T[]): T & { round_ms: number[] } {
  const timed = rounds.filter((r) => r.median_ms !== undefined && Number.isFinite(r.median_ms));
  if (!timed.length) return { ...rounds[0], round_ms: [] };
  const opt = (xs: (number | undefined)[], f: (...v: number[]) => number) => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length ? f(...v) : undefined;
  };
  return {
    ...timed[0],
    median_ms: median(timed.map((r) => r.median_ms!)),
    min_ms: opt(timed.map((r) => r.min_ms), Math.min),
    peak_rss_mib: opt(timed.map((r) => r.peak_rss_mib), Math.max),
    steps: opt(timed.map((r) => r.steps), (...v) => v.reduce((a, b) => a + b, 0)),
    round_ms: timed.map((r) => r.median_ms!),
  };
}

/** A ratio over rounds: its median and range. */
export interface RoundRatio {
  /** Median over the rounds of the per-round ratio. */
  median: number;
  /** Smallest per-round ratio. */
  min: number;
  /** Largest per-round ratio. */
  max: number;
  /** Rounds in which both sides were measured. */
  rounds: number;
}

/**
 * `a[r] / b[r]` for every round r where both are finite, summarised; undefined when no
 * round has both.
 */
export function pairedRatio(
  a: (number | undefined)[],
  b: (number | undefined)[],
): RoundRatio | undefined {
  const ratios: number[] = [];
  a.forEach((x, r) => {
    const y = b[r];
    if (x !== undefined && y !== undefined && Number.isFinite(x / y) && y > 0) ratios.push(x / y);
  });
  if (!ratios.length) return undefined;
  return {
    median: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    rounds: ratios.length,
  };
}

/** Which per-round step time a ratio is taken over: each round's median or its fastest step. */
export type StepStat = "median_ms" | "min_ms";

/**
 * One configuration's `stat` in each of `rounds` rounds, undefined where a round has none
 * (a failed run, or no runs at all).
 */
export function perRound(
  runs: (Timed | undefined)[] | undefined,
  rounds: number,
  stat: StepStat = "median_ms",
): (number | undefined)[] {
  return Array.from({ length: rounds }, (_, i) => runs?.[i]?.[stat]);
}

/**
 * Per round, the lowest `stat` over several configurations measured in the same rounds
 * (PyTorch at each thread count: its better count, round by round); undefined for a round
 * in which none of them was measured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bestPerRound } from "./rounds.ts";
 * const oneThread = [{ median_ms: 60, min_ms: 55 }, { median_ms: 70, min_ms: 66 }];
 * const twoThreads = [{ median_ms: 40, min_ms: 38 }, { median_ms: 80, min_ms: 50 }];
 * assert.deepEqual(bestPerRound([oneThread, twoThreads], 2), [40, 70]);
 * assert.deepEqual(bestPerRound([oneThread, twoThreads], 2, "min_ms"), [38, 50]);
 * ```
 */
export function bestPerRound(
  configs: ((Timed | undefined)[] | undefined)[],
  rounds: number,
  stat: StepStat = "median_ms",
): (number | undefined)[] {
  return Array.from({ length: rounds }, (_, i) => {
    const xs = configs.map((c) => c?.[i]?.[stat]).filter((x): x is number => x !== undefined);
    return xs.length ? Math.min(...xs) : undefined;
  });
}
