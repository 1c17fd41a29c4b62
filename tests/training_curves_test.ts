import assert from "node:assert/strict";
import { MetricIndex } from "../src/report/aggregate.ts";
import { readExperimentRuns } from "../src/report/records.ts";
import { renderSvg } from "../src/report/render.ts";
import { trainingCurves, trainingCurvesSpec } from "../src/report/training_curves.ts";
import { curvesExperiment, writeCurveRuns } from "./fixtures/figure_fixture.ts";

Deno.test("training curves: per-entry means over seeds, one row per quantity, one column per dataset", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeCurveRuns(out);
    const exp = curvesExperiment();
    const index = await MetricIndex.build(await readExperimentRuns(out, "curves"), "best");
    const tc = await trainingCurves(exp, index);
    assert.deepEqual(tc.quantities, [
      "Training loss",
      "Fused test acc. (%)",
      "Strong test acc. (%)",
      "Lazy test acc. (%)",
      "Ratio strong/lazy",
    ]);
    assert.deepEqual(tc.datasets, [
      "CREMA-D (strong audio, lazy visual)",
      "MVSA (strong text, lazy image)",
    ]);
    assert.deepEqual(tc.series, [
      "Concatenation",
      "IBML (ours)",
      "unimodal-strong",
      "unimodal-lazy",
    ]);
    assert.deepEqual(tc.seeds, [0, 1]);
    const at = (q: string, series: string, epoch: number) =>
      tc.data.find((d) =>
        d.quantity === q && d.series === series && d.epoch === epoch &&
        d.dataset.startsWith("CREMA-D")
      )?.value;
    // Lazy accuracy of IBML at epoch 1: seeds 0.4 and 0.41 -> 40.5%.
    assert.ok(Math.abs(at("Lazy test acc. (%)", "IBML (ours)", 1)! - 40.5) < 1e-9);
    assert.equal(at("Training loss", "Concatenation", 2), 0.5);
    assert.ok(Math.abs(at("Ratio strong/lazy", "Concatenation", 3)! - 2.9) < 1e-9);
    // Unimodal runs have no ratio and no accuracy of the other modality.
    assert.equal(at("Ratio strong/lazy", "unimodal-lazy", 1), undefined);
    const svg = await renderSvg(trainingCurvesSpec(tc, { title: "T", subtitle: ["s"] }));
    assert.ok(svg.startsWith("<svg"));
    for (const q of tc.quantities) assert.ok(svg.includes(`>${q.replace("&", "&amp;")}</text>`), q);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("training curves: none when no run has epochs.csv", async () => {
  const out = await Deno.makeTempDir();
  try {
    const exp = curvesExperiment();
    const tc = await trainingCurves(exp, await MetricIndex.build([], "best"));
    assert.deepEqual(tc, { data: [], quantities: [], datasets: [], series: [], seeds: [] });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
