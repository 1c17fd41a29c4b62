import { assertAlmostEquals, assertEquals } from "../assert.ts";
import { bestPerRound, joinRounds, pairedRatio, perRound } from "../../bench/rounds.ts";

Deno.test("bench rounds: joinRounds takes the median of the round medians, the fastest step, the largest RSS, the summed steps", () => {
  const joined = joinRounds([
    { model: "m", median_ms: 30, min_ms: 25, peak_rss_mib: 100, steps: 5 },
    { model: "m", median_ms: 10, min_ms: 9, peak_rss_mib: 120, steps: 6 },
    { model: "m", median_ms: 20, min_ms: 19, peak_rss_mib: 110, steps: 7 },
  ]);
  assertEquals(joined, {
    model: "m",
    median_ms: 20,
    min_ms: 9,
    peak_rss_mib: 120,
    steps: 18,
    round_ms: [30, 10, 20],
  });
});

Deno.test("bench rounds: failed rounds are left out; all failed keeps the first as it is", () => {
  type Run = { status: string; note?: string; median_ms?: number };
  const ok = joinRounds<Run>([{ status: "error", note: "killed" }, { status: "ok", median_ms: 7 }]);
  assertEquals([ok.status, ok.median_ms, ok.round_ms], ["ok", 7, [7]]);
  const failed = joinRounds<Run>([{ status: "error", note: "a" }, { status: "error", note: "b" }]);
  assertEquals([failed.note, failed.round_ms], ["a", []]);
});

Deno.test("bench rounds: pairedRatio divides within each round, not the two medians", () => {
  // A drifting machine: both sides slow in round 2. Within-round ratios are all 0.5; the
  // ratio of the medians (150 / 200) would not be.
  const r = pairedRatio([100, 300, 150], [200, 600, 300])!;
  assertEquals([r.median, r.min, r.max, r.rounds], [0.5, 0.5, 0.5, 3]);
  const holes = pairedRatio([100, undefined, 90], [200, 100, undefined])!;
  assertEquals(holes.rounds, 1);
  assertAlmostEquals(holes.median, 0.5);
  assertEquals(pairedRatio([undefined], [1]), undefined);
  assertEquals(pairedRatio([1], [0]), undefined);
});

Deno.test("bench rounds: ours/torch takes PyTorch's better thread count round by round, over medians or fastest steps", () => {
  // PyTorch's two-thread run is the faster one in round 1 and the slower one in round 2 (a
  // busy minute); round 3 has no two-thread run.
  const torch1 = [{ median_ms: 60, min_ms: 50 }, { median_ms: 70, min_ms: 52 }, { median_ms: 64 }];
  const torch2 = [{ median_ms: 40, min_ms: 36 }, { median_ms: 90, min_ms: 48 }, undefined];
  assertEquals(bestPerRound([torch1, torch2], 3), [40, 70, 64]);
  assertEquals(bestPerRound([torch1, torch2], 3, "min_ms"), [36, 48, undefined]);
  assertEquals(bestPerRound([undefined, undefined], 2), [undefined, undefined]);
  const ours = [{ median_ms: 44, min_ms: 36 }, { median_ms: 77, min_ms: 60 }, { median_ms: 80 }];
  assertEquals(perRound(ours, 3, "min_ms"), [36, 60, undefined]);
  assertEquals(perRound(undefined, 2), [undefined, undefined]);
  const medians = pairedRatio(perRound(ours, 3), bestPerRound([torch1, torch2], 3))!;
  assertEquals([medians.rounds, medians.median, medians.max], [3, 1.1, 1.25]);
  // Over the fastest steps only rounds 1 and 2 pair up: 36 / 36 and 60 / 48.
  const fastest = pairedRatio(
    perRound(ours, 3, "min_ms"),
    bestPerRound([torch1, torch2], 3, "min_ms"),
  )!;
  assertEquals([fastest.rounds, fastest.min, fastest.max], [2, 1, 1.25]);
  assertAlmostEquals(fastest.median, 1.125, 1e-12);
});
