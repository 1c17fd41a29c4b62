import assert from "node:assert/strict";
import {
  collectCells,
  compareCells,
  describeMoved,
  parseReference,
  publishedDeviations,
  renderReference,
  sameValue,
} from "../src/report/reference.ts";
import { readExperimentRuns } from "../src/report/records.ts";
import { epochRows, writeRun } from "./fixtures/runs.ts";
import { fixtureTables } from "./fixtures/report_fixture.ts";

Deno.test("reference: every number of the runs, wall times excluded, round trip through CSV", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeRun(out, {
      experiment: "ci",
      entry: "ibml",
      dataset: "crema-d",
      seed: 0,
      best: { fusion: 0.1 + 0.2, audio: 0.5, visual: null },
      ratio: 1.25,
      epochs: epochRows("audio", "visual", 2, 0.3, 2),
    });
    const cells = await collectCells(await readExperimentRuns(out, "ci"));
    const keys = cells.map((c) => c.key);
    assert.ok(keys.includes("config_hash"));
    assert.ok(
      keys.includes("summary.best.fusion") && keys.includes("summary.best.epoch") &&
        keys.includes("summary.ratio_mean"),
    );
    assert.ok(keys.includes("epoch2.test_acc_visual"));
    assert.ok(!keys.some((k) => k.endsWith("wall_s")));
    assert.equal(cells.find((c) => c.key === "summary.best.fusion")!.value, "0.30000000000000004");
    assert.equal(cells.find((c) => c.key === "summary.best.visual")!.value, "");
    const text = renderReference({ meta: { backend: "wasm", experiment: "ci" }, cells });
    const back = parseReference(text);
    assert.deepEqual(back.meta, { backend: "wasm", experiment: "ci" });
    assert.deepEqual(back.cells, cells);
    assert.deepEqual(compareCells(back.cells, cells, 0), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("reference: a changed cell is detected and described; tolerance across backends", () => {
  const ref = [
    { run: "a", key: "summary.best.fusion", value: "0.71" },
    { run: "a", key: "epoch1.ratio_mean", value: "2.5" },
    { run: "a", key: "config_hash", value: "h1" },
    { run: "b", key: "summary.best.fusion", value: "0.5" },
  ];
  const cur = [
    { run: "a", key: "summary.best.fusion", value: "0.7100000000000001" },
    { run: "a", key: "epoch1.ratio_mean", value: "2.6" },
    { run: "a", key: "config_hash", value: "h2" },
    { run: "c", key: "summary.best.fusion", value: "0.4" },
  ];
  const exact = compareCells(ref, cur, 0);
  assert.deepEqual(exact.map(describeMoved), [
    "a summary.best.fusion: 0.71 -> 0.7100000000000001",
    "a epoch1.ratio_mean: 2.5 -> 2.6",
    "a config_hash: h1 -> h2",
    "b summary.best.fusion: gone (was 0.5)",
    "c summary.best.fusion: new (0.4)",
  ]);
  const loose = compareCells(ref, cur, 0.05);
  assert.deepEqual(loose.map((m) => `${m.run} ${m.key}`), [
    "a config_hash",
    "b summary.best.fusion",
    "c summary.best.fusion",
  ]);
  assert.equal(sameValue("2.5", "2.6", 0.05), true); // relative above 1: 0.1 <= 0.05 x 2.6
  assert.equal(sameValue("0.5", "0.56", 0.05), false); // absolute below 1
  assert.equal(sameValue("", "0", 0.05), false);
});

Deno.test("reference: published deviations outside mean ± k std", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { table4 } = await fixtureTables(out);
    const devs = publishedDeviations(table4, 2);
    const concat = devs.find((d) => d.entry === "concat" && d.dataset === "mnist3d")!;
    assert.ok(Math.abs(concat.mean - 8.4) < 1e-9);
    assert.equal(concat.outside, false); // |8.4 - 8.44| <= 2 x 0.20
    const ibml = devs.find((d) => d.entry === "ibml" && d.dataset === "mvsa")!;
    assert.equal(ibml.outside, false);
    const ogm = devs.find((d) => d.entry === "ogm-ge" && d.dataset === "mvsa")!;
    assert.equal(ogm.outside, false);
    assert.ok(publishedDeviations(table4, 0).some((d) => d.outside));
    assert.equal(devs.length, 9);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
