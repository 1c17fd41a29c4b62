import assert from "node:assert/strict";
import { MetricIndex, summarize } from "../src/report/aggregate.ts";
import { readExperimentRuns } from "../src/report/records.ts";
import { writeRun } from "./fixtures/runs.ts";

Deno.test("aggregate: mean and sample std (n - 1) against hand values", () => {
  const s = summarize([{ seed: 2, value: 0.8 }, { seed: 0, value: 0.6 }, { seed: 1, value: 0.7 }])!;
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.mean - 0.7) < 1e-12);
  // deviations -0.1, 0, 0.1: sum of squares 0.02, / (3 - 1) = 0.01, sqrt = 0.1
  assert.ok(Math.abs(s.std! - 0.1) < 1e-12);
  assert.deepEqual(s.values.map((v) => v.seed), [0, 1, 2]);
  const two = summarize([{ seed: 0, value: 1 }, { seed: 1, value: 4 }])!;
  assert.equal(two.mean, 2.5);
  assert.ok(Math.abs(two.std! - Math.sqrt(4.5)) < 1e-12);
  assert.deepEqual(summarize([{ seed: 0, value: 3 }]), {
    mean: 3,
    std: null,
    n: 1,
    values: [{ seed: 0, value: 3 }],
  });
  assert.equal(summarize([]), null);
});

Deno.test("aggregate: the index groups runs by entry and dataset, roles resolved per dataset", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (const [seed, fusion] of [[0, 0.6], [1, 0.7], [2, 0.8]]) {
      await writeRun(out, {
        experiment: "e",
        entry: "ibml",
        dataset: "crema-d",
        seed,
        best: { fusion, audio: 0.5, visual: 0.4 },
        ratio: 1 + seed,
      });
    }
    await writeRun(out, {
      experiment: "e",
      entry: "ibml",
      dataset: "mnist3d",
      seed: 0,
      best: { fusion: 0.9, image: 0.3, points: 0.8 },
      ratio: 2,
    });
    const index = await MetricIndex.build(await readExperimentRuns(out, "e"), "best");
    const s = index.stat("ibml", "crema-d", "fusion")!;
    assert.ok(Math.abs(s.mean - 0.7) < 1e-12 && Math.abs(s.std! - 0.1) < 1e-12);
    assert.deepEqual(index.values("ibml", "mnist3d", "strong"), [{ seed: 0, value: 0.8 }]);
    assert.deepEqual(index.values("ibml", "mnist3d", "lazy"), [{ seed: 0, value: 0.3 }]);
    assert.deepEqual(index.values("ibml", "crema-d", "ratio_gap").map((v) => v.value), [0, 1, 2]);
    assert.equal(index.stat("concat", "crema-d", "fusion"), null);
    assert.equal(index.runs("ibml", "crema-d").length, 3);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
