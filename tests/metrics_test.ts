import assert from "node:assert/strict";
import {
  infoBounds,
  isPercentMetric,
  lazyModality,
  numClassesOf,
  recordMetrics,
  shareAbove,
} from "../src/report/metrics.ts";
import { readExperimentRuns } from "../src/report/records.ts";
import { writeRun } from "./fixtures/runs.ts";

Deno.test("metrics: per-sample I(X_m;Z;Y) bound and shares", () => {
  const rows = [
    { index: 0, label: 0, fused_logp: Math.log(0.9), audio_logp: Math.log(0.8) },
    { index: 1, label: 1, fused_logp: Math.log(0.1), audio_logp: Math.log(0.1) },
    { index: 2, label: 1, fused_logp: null, audio_logp: -1 },
  ];
  const b = infoBounds(rows, "audio", 6);
  assert.equal(b.length, 2);
  assert.ok(Math.abs(b[0] - Math.log(0.9 * 0.8 * 6)) < 1e-12);
  assert.ok(b[0] > 0 && b[1] < 0);
  assert.equal(shareAbove(b, 0), 0.5);
  assert.equal(shareAbove([], 0), null);
  assert.equal(numClassesOf("vggsound50"), 50);
  assert.equal(lazyModality({ modalities: ["image", "points"], strong: "points" }), "image");
  assert.equal(isPercentMetric("info_high_lazy"), true);
  assert.equal(isPercentMetric("ratio_gap"), false);
});

Deno.test("metrics: every metric of a run record", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeRun(out, {
      experiment: "f6",
      entry: "ibml",
      dataset: "crema-d",
      seed: 0,
      best: { fusion: 0.8, audio: 0.6, visual: 0.7 },
      final: { fusion: 0.75, audio: 0.55, visual: 0.65 },
      ratio: 0.8,
      info: {
        1: [{ index: 0, label: 0, fused_logp: -5, audio_logp: -5, visual_logp: -5 }],
        3: [
          { index: 0, label: 0, fused_logp: -0.1, audio_logp: -0.1, visual_logp: -3 },
          { index: 1, label: 0, fused_logp: -0.1, audio_logp: -0.2, visual_logp: -0.2 },
        ],
      },
    });
    const [rec] = await readExperimentRuns(out, "f6");
    const best = await recordMetrics(rec, "best", 0);
    assert.equal(best.fusion, 0.8);
    assert.equal(best.strong, 0.6);
    assert.equal(best.lazy, 0.7);
    assert.ok(Math.abs(best.ratio_gap! - 0.2) < 1e-12);
    // the last info epoch (3): strong bounds both > 0; lazy: one of two
    assert.equal(best.info_high_strong, 1);
    assert.equal(best.info_high_lazy, 0.5);
    const final = await recordMetrics(rec, "final", 0);
    assert.equal(final.fusion, 0.75);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
