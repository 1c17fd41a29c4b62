import assert from "node:assert/strict";
import { type ClaimData, combine, evaluateClaim, formatMetric } from "../src/report/claims.ts";
import type { BestClaim, CompareClaim } from "../src/experiment/types.ts";

/** Hand-made per-seed numbers: entry -> dataset -> metric -> values by seed. */
function data(
  table: Record<string, Record<string, Record<string, number[]>>>,
  missing: Record<string, string> = {},
): ClaimData {
  return {
    values: (e, d, m) => (table[e]?.[d]?.[m] ?? []).map((value, seed) => ({ seed, value })),
    missingReason: (e) => missing[e],
  };
}

const best = (over: Partial<BestClaim> = {}): BestClaim => ({
  id: "b",
  text: "ibml is best",
  kind: "best",
  subject: "ibml",
  among: ["ibml", "concat", "dgl"],
  goal: "max",
  rank: 1,
  metric: "fusion",
  datasets: ["crema-d"],
  require: "all",
  ...over,
});

const compare = (over: Partial<CompareClaim> = {}): CompareClaim => ({
  id: "c",
  text: "pace methods below concat",
  kind: "compare",
  left: ["ogm-ge", "pmr"],
  op: "<",
  right: "concat",
  rightMetric: "strong",
  metric: "strong",
  datasets: ["crema-d"],
  require: "all",
  ...over,
});

Deno.test("claims: best holds when the subject wins on every seed", () => {
  const d = data({
    ibml: { "crema-d": { fusion: [0.8, 0.81, 0.79] } },
    concat: { "crema-d": { fusion: [0.6, 0.62, 0.61] } },
    dgl: { "crema-d": { fusion: [0.78, 0.8, 0.77] } },
  });
  const r = evaluateClaim(best(), d);
  assert.equal(r.verdict, "holds");
  assert.equal(r.cases[0].seedsHolding, 3);
  assert.match(
    r.cases[0].detail,
    /ibml ranks 1 of 3 on mean fusion \(highest first: ibml 80\.00%, dgl 78\.33%, concat 61\.00%\); rank <= 1 in 3\/3 seeds/,
  );
});

Deno.test("claims: best does not hold when another entry wins on every seed", () => {
  const d = data({
    ibml: { "crema-d": { fusion: [0.7, 0.71] } },
    concat: { "crema-d": { fusion: [0.6, 0.6] } },
    dgl: { "crema-d": { fusion: [0.78, 0.8] } },
  });
  assert.equal(evaluateClaim(best(), d).verdict, "does not hold");
  // ... but it is within the top 2
  assert.equal(evaluateClaim(best({ rank: 2 }), d).verdict, "holds");
});

Deno.test("claims: inconclusive when seeds disagree", () => {
  const d = data({
    ibml: { "crema-d": { fusion: [0.8, 0.7, 0.8] } },
    concat: { "crema-d": { fusion: [0.6, 0.6, 0.6] } },
    dgl: { "crema-d": { fusion: [0.75, 0.75, 0.75] } },
  });
  const r = evaluateClaim(best(), d);
  assert.equal(r.verdict, "inconclusive");
  assert.equal(r.cases[0].seedsHolding, 2);
});

Deno.test("claims: closest-to-1 and missing entries", () => {
  const d = data({
    ibml: { "crema-d": { ratio: [1.2, 1.05] } },
    concat: { "crema-d": { ratio: [4, 4.5] } },
    dgl: { "crema-d": { ratio: [0.85, 0.9] } },
  }, {});
  assert.equal(
    evaluateClaim(best({ metric: "ratio", goal: "closest-to-1" }), d).verdict,
    "inconclusive",
  );
  const d2 = data({
    ibml: { "crema-d": { ratio: [1.05, 1.02] } },
    concat: { "crema-d": { ratio: [4, 4.5] } },
  }, { dgl: "not implemented" });
  const r2 = evaluateClaim(best({ metric: "ratio", goal: "closest-to-1" }), d2);
  assert.equal(r2.verdict, "holds");
  assert.match(r2.cases[0].detail, /left out: dgl has no runs on crema-d \(not implemented\)/);
  const r3 = evaluateClaim(best(), data({}, { ibml: "not implemented" }));
  assert.equal(r3.verdict, "inconclusive");
  assert.match(r3.cases[0].detail, /ibml has no runs on crema-d \(not implemented\)/);
});

Deno.test("claims: compare cases per left entry, combined by require", () => {
  const d = data({
    "ogm-ge": { "crema-d": { strong: [0.5, 0.5, 0.5] } },
    pmr: { "crema-d": { strong: [0.7, 0.7, 0.7] } },
    concat: { "crema-d": { strong: [0.6, 0.6, 0.6] } },
  });
  const all = evaluateClaim(compare(), d);
  assert.deepEqual(all.cases.map((c) => c.verdict), ["holds", "does not hold"]);
  assert.equal(all.verdict, "does not hold");
  assert.equal(all.cases[0].detail, "ogm-ge strong 50.00% < concat strong 60.00%: 3/3 seeds");
  assert.equal(evaluateClaim(compare({ require: "any" }), d).verdict, "holds");
  assert.equal(evaluateClaim(compare({ require: "majority" }), d).verdict, "does not hold");
  // A metric against another metric of the same entry (imbalance of vanilla fusion).
  const imb = evaluateClaim(
    compare({ left: ["concat"], right: "concat", metric: "lazy", rightMetric: "strong" }),
    data({ concat: { "crema-d": { lazy: [0.2, 0.3], strong: [0.6, 0.6] } } }),
  );
  assert.equal(imb.verdict, "holds");
  // Missing right-hand side: inconclusive, saying why.
  const miss = evaluateClaim(
    compare({ left: ["ogm-ge"] }),
    data({ "ogm-ge": { "crema-d": { strong: [0.5] } } }, { concat: "missing" }),
  );
  assert.equal(miss.verdict, "inconclusive");
  assert.match(miss.cases[0].detail, /concat has no runs on crema-d \(missing\)/);
});

Deno.test("claims: combine and formatting", () => {
  assert.equal(combine([], "all"), "inconclusive");
  assert.equal(combine(["holds", "holds"], "all"), "holds");
  assert.equal(combine(["holds", "inconclusive"], "all"), "inconclusive");
  assert.equal(combine(["holds", "holds", "does not hold"], "majority"), "holds");
  assert.equal(combine(["holds", "does not hold"], "majority"), "does not hold");
  assert.equal(combine(["holds", "inconclusive", "does not hold"], "majority"), "inconclusive");
  assert.equal(combine(["does not hold", "inconclusive"], "any"), "inconclusive");
  assert.equal(formatMetric("info_high_lazy", 0.5), "50.00%");
  assert.equal(formatMetric("ratio_gap", 0.25), "0.250");
});
