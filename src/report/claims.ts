/**
 * Evaluation of an experiment's claims on reproduced numbers. Each case (a dataset, and
 * for `compare` claims a left-hand entry) is checked on the means and on every seed:
 * it holds when every seed agrees it holds, does not hold when every seed agrees it does
 * not, and is inconclusive when the seeds disagree or data is missing. Verdicts are
 * always computed; none is written down in advance.
 *
 * @module
 */
import type { BestClaim, Claim, CompareClaim, CompareOp, Quantifier } from "../experiment/types.ts";
import { isPercentMetric } from "./metrics.ts";

/** A verdict on reproduced numbers. */
export type Verdict = "holds" | "does not hold" | "inconclusive";

/** Where the claim's numbers come from. */
export interface ClaimData {
  /** Per-seed values of a metric for an entry on a dataset. */
  values(entry: string, dataset: string, metric: string): { seed: number; value: number }[];
  /** Why an entry has no numbers (e.g. "not implemented"), if known. */
  missingReason?(entry: string): string | undefined;
  /** Label of an entry for messages (default: its name). */
  label?(entry: string): string;
}

/** The verdict of one case of a claim, with the numbers behind it. */
export interface CaseResult {
  /** Dataset of the case. */
  dataset: string;
  /** Left-hand entry (compare) or subject (best). */
  entry: string;
  /** Verdict. */
  verdict: Verdict;
  /** Seeds on which the case holds. */
  seedsHolding: number;
  /** Seeds compared. */
  seeds: number;
  /** The numbers, in words. */
  detail: string;
}

/** The verdict of a claim. */
export interface ClaimResult {
  /** The claim. */
  claim: Claim;
  /** Combined verdict. */
  verdict: Verdict;
  /** Verdict per case. */
  cases: CaseResult[];
}

const OPS: Record<CompareOp, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};

/**
 * Formats a metric value for a claim's detail: percent for accuracies and shares, plain
 * for ratios.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatMetric("fusion", 0.7123), "71.23%");
 * assert.equal(formatMetric("ratio", 1.5), "1.500");
 * ```
 */
export function formatMetric(metric: string, value: number): string {
  return isPercentMetric(metric) ? `${(value * 100).toFixed(2)}%` : value.toFixed(3);
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function bySeed(values: { seed: number; value: number }[]): Map<number, number> {
  return new Map(values.map((v) => [v.seed, v.value]));
}

function commonSeeds(maps: Map<number, number>[]): number[] {
  if (maps.length === 0) return [];
  return [...maps[0].keys()].filter((s) => maps.every((m) => m.has(s))).sort((a, b) => a - b);
}

function seedVerdict(holding: number, total: number): Verdict {
  if (total === 0) return "inconclusive";
  if (holding === total) return "holds";
  if (holding === 0) return "does not hold";
  return "inconclusive";
}

function missing(data: ClaimData, entry: string, dataset: string): string {
  const reason = data.missingReason?.(entry);
  return `${label(data, entry)} has no runs on ${dataset}${reason ? ` (${reason})` : ""}`;
}

function label(data: ClaimData, entry: string): string {
  return data.label?.(entry) ?? entry;
}

function compareCase(c: CompareClaim, data: ClaimData, left: string, dataset: string): CaseResult {
  const l = bySeed(data.values(left, dataset, c.metric));
  const r = bySeed(data.values(c.right, dataset, c.rightMetric));
  const base = { dataset, entry: left };
  if (l.size === 0 || r.size === 0) {
    const why = [
      l.size === 0 ? missing(data, left, dataset) : "",
      r.size === 0 ? missing(data, c.right, dataset) : "",
    ]
      .filter(Boolean).join("; ");
    return { ...base, verdict: "inconclusive", seedsHolding: 0, seeds: 0, detail: why };
  }
  const seeds = commonSeeds([l, r]);
  if (seeds.length === 0) {
    return {
      ...base,
      verdict: "inconclusive",
      seedsHolding: 0,
      seeds: 0,
      detail: "no seed in common",
    };
  }
  const holding = seeds.filter((s) => OPS[c.op](l.get(s)!, r.get(s)!)).length;
  const lm = mean(seeds.map((s) => l.get(s)!));
  const rm = mean(seeds.map((s) => r.get(s)!));
  const lText = `${label(data, left)} ${c.metric} ${formatMetric(c.metric, lm)}`;
  const rText = `${label(data, c.right)} ${c.rightMetric} ${formatMetric(c.rightMetric, rm)}`;
  return {
    ...base,
    verdict: seedVerdict(holding, seeds.length),
    seedsHolding: holding,
    seeds: seeds.length,
    detail: `${lText} ${c.op} ${rText}: ${holding}/${seeds.length} seeds`,
  };
}

function score(goal: BestClaim["goal"], v: number): number {
  if (goal === "max") return v;
  if (goal === "min") return -v;
  return -Math.abs(v - 1);
}

function bestCase(c: BestClaim, data: ClaimData, dataset: string): CaseResult {
  const base = { dataset, entry: c.subject };
  const maps = new Map<string, Map<number, number>>();
  const excluded: string[] = [];
  for (const e of c.among) {
    const m = bySeed(data.values(e, dataset, c.metric));
    if (m.size === 0) excluded.push(missing(data, e, dataset));
    else maps.set(e, m);
  }
  if (!maps.has(c.subject)) {
    return {
      ...base,
      verdict: "inconclusive",
      seedsHolding: 0,
      seeds: 0,
      detail: missing(data, c.subject, dataset),
    };
  }
  if (maps.size < 2) {
    return {
      ...base,
      verdict: "inconclusive",
      seedsHolding: 0,
      seeds: 0,
      detail: "nothing to compare with",
    };
  }
  const seeds = commonSeeds([...maps.values()]);
  if (seeds.length === 0) {
    return {
      ...base,
      verdict: "inconclusive",
      seedsHolding: 0,
      seeds: 0,
      detail: "no seed in common",
    };
  }
  const rankOn = (get: (e: string) => number): number => {
    const mine = score(c.goal, get(c.subject));
    return 1 +
      [...maps.keys()].filter((e) => e !== c.subject && score(c.goal, get(e)) > mine).length;
  };
  const holding = seeds.filter((s) => rankOn((e) => maps.get(e)!.get(s)!) <= c.rank).length;
  const means = new Map(
    [...maps.keys()].map((e) => [e, mean(seeds.map((s) => maps.get(e)!.get(s)!))]),
  );
  const ordered = [...means.entries()].sort((a, b) => score(c.goal, b[1]) - score(c.goal, a[1]));
  const top = ordered.slice(0, 3).map(([e, v]) => `${label(data, e)} ${formatMetric(c.metric, v)}`)
    .join(", ");
  const meanRank = rankOn((e) => means.get(e)!);
  const goal = c.goal === "closest-to-1" ? "closest to 1" : c.goal === "max" ? "highest" : "lowest";
  let detail =
    `${
      label(data, c.subject)
    } ranks ${meanRank} of ${maps.size} on mean ${c.metric} (${goal} first: ${top}); ` +
    `rank <= ${c.rank} in ${holding}/${seeds.length} seeds`;
  if (excluded.length > 0) detail += `; left out: ${excluded.join("; ")}`;
  return {
    ...base,
    verdict: seedVerdict(holding, seeds.length),
    seedsHolding: holding,
    seeds: seeds.length,
    detail,
  };
}

/**
 * Combines case verdicts: `all` holds when every case holds and fails when any fails;
 * `majority` holds when more than half hold and fails when at most half could;
 * `any` holds when one holds and fails when all fail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(combine(["holds", "inconclusive"], "all"), "inconclusive");
 * assert.equal(combine(["holds", "holds", "does not hold"], "majority"), "holds");
 * ```
 */
export function combine(verdicts: Verdict[], require: Quantifier): Verdict {
  if (verdicts.length === 0) return "inconclusive";
  const holds = verdicts.filter((v) => v === "holds").length;
  const fails = verdicts.filter((v) => v === "does not hold").length;
  const n = verdicts.length;
  if (require === "all") {
    return fails > 0 ? "does not hold" : holds === n ? "holds" : "inconclusive";
  }
  if (require === "any") {
    return holds > 0 ? "holds" : fails === n ? "does not hold" : "inconclusive";
  }
  if (holds * 2 > n) return "holds";
  if ((n - fails) * 2 <= n) return "does not hold";
  return "inconclusive";
}

/**
 * Evaluates one claim.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Claim } from "../experiment/types.ts";
 * const data = { values: (e: string) => e === "ibml" ? [{ seed: 0, value: 0.8 }] : [{ seed: 0, value: 0.6 }] };
 * const claim: Claim = { id: "x", text: "ibml best", kind: "best", subject: "ibml", among: ["ibml", "concat"],
 *   goal: "max", rank: 1, metric: "fusion", datasets: ["crema-d"], require: "all" };
 * assert.equal(evaluateClaim(claim, data).verdict, "holds");
 * ```
 */
export function evaluateClaim(claim: Claim, data: ClaimData): ClaimResult {
  const cases: CaseResult[] = [];
  for (const dataset of claim.datasets) {
    if (claim.kind === "best") cases.push(bestCase(claim, data, dataset));
    else for (const left of claim.left) cases.push(compareCase(claim, data, left, dataset));
  }
  return { claim, verdict: combine(cases.map((c) => c.verdict), claim.require), cases };
}

/**
 * Evaluates every claim of an experiment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateClaims } from "./claims.ts";
 * import type { Claim } from "../experiment/types.ts";
 * const data = {
 *   values: (e: string) => e === "ibml" ? [{ seed: 0, value: 0.8 }] : [{ seed: 0, value: 0.6 }],
 * };
 * const claim: Claim = {
 *   id: "x", text: "ibml best", kind: "best", subject: "ibml", among: ["ibml", "concat"],
 *   goal: "max", rank: 1, metric: "fusion", datasets: ["crema-d"], require: "all",
 * };
 * assert.deepEqual(evaluateClaims([claim], data).map((r) => r.verdict), ["holds"]);
 * ```
 */
export function evaluateClaims(claims: Claim[], data: ClaimData): ClaimResult[] {
  return claims.map((c) => evaluateClaim(c, data));
}
