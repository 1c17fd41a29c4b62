import assert from "node:assert/strict";
import { MetricIndex } from "../src/report/aggregate.ts";
import {
  curveData,
  curvesSpec,
  meanCurve,
  meanOfBest,
  SOURCE_UNIMODAL,
} from "../src/report/curves.ts";
import { readExperimentRuns } from "../src/report/records.ts";
import { renderSvg } from "../src/report/render.ts";
import { loadExperiment } from "../src/experiment/catalog.ts";
import { assertValidSvg } from "./fixtures/svg.ts";
import { curvesExperiment, writeCurveRuns } from "./fixtures/figure_fixture.ts";

Deno.test("curves: per-epoch means and best-unimodal levels", () => {
  assert.deepEqual(
    meanCurve([[{ epoch: 1, a: 1 }, { epoch: 2, a: null }], [{ epoch: 1, a: 3 }, {
      epoch: 2,
      a: 4,
    }]], "a"),
    [
      { epoch: 1, value: 2 },
      { epoch: 2, value: 4 },
    ],
  );
  assert.equal(
    meanOfBest([[{ epoch: 1, a: 0.2 }, { epoch: 2, a: 0.4 }], [{ epoch: 1, a: 0.6 }]], "a"),
    0.5,
  );
  assert.equal(meanOfBest([[{ epoch: 1, a: null }]], "a"), null);
});

Deno.test("curves: per-entry figure with dashed unimodal lines renders a valid SVG", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeCurveRuns(out);
    const exp = curvesExperiment();
    const index = await MetricIndex.build(await readExperimentRuns(out, "curves"), "best");
    const cd = await curveData(exp, index);
    assert.deepEqual(cd.panels, [
      "Concatenation · CREMA-D (audio/visual)",
      "IBML (ours) · CREMA-D (audio/visual)",
      "Concatenation · MVSA (text/image)",
      "IBML (ours) · MVSA (text/image)",
    ]);
    assert.deepEqual(cd.seeds, [0, 1]);
    const refs = cd.data.filter((d) => d.kind === "ref" && d.panel === cd.panels[0]);
    assert.deepEqual(refs.map((r) => r.series).sort(), ["Lazy modality", "Strong modality"]);
    assert.ok(refs.every((r) => r.source === SOURCE_UNIMODAL));
    // best over epochs of the trained modality: strong 0.45 + 0.02 x 4, lazy 0.5 + 0.01 x 4
    assert.deepEqual(refs.map((r) => Math.round(r.value * 1e6) / 1e6).sort(), [53, 54]);
    const lazy = cd.data.filter((d) =>
      d.kind === "curve" && d.panel === cd.panels[0] && d.series === "Lazy modality"
    );
    assert.equal(lazy.length, 5);
    assert.ok(Math.abs(lazy[0].value - 20.5) < 1e-9); // mean of seeds 0.20, 0.21 in percent
    const svg = await renderSvg(curvesSpec(cd, { title: "Curves fixture", subtitle: ["quick"] }));
    assertValidSvg(svg);
    for (
      const text of [
        "Epoch",
        "Test accuracy (%)",
        "Discrepancy ratio (strong/lazy)",
        "Strong modality",
        "Lazy modality",
        "Fusion",
      ]
    ) {
      assert.ok(svg.includes(text), `SVG lacks "${text}"`);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("curves: overlay layout (Figure 4) renders a valid SVG with a method legend", async () => {
  const out = await Deno.makeTempDir();
  try {
    const exp = await loadExperiment("fig4");
    await writeCurveRuns(out, "fig4", ["ogm-ge", "bio+ogm-ge", "ibml"]);
    const index = await MetricIndex.build(await readExperimentRuns(out, "fig4"), "best");
    const cd = await curveData(exp, index);
    assert.deepEqual(cd.panels, ["Fusion", "Strong (audio)", "Lazy (visual)"]);
    assert.deepEqual(cd.ratioPanels, ["Discrepancy ratio"]);
    assert.deepEqual(cd.series.map((s) => s.name), ["OGM-GE", "BIO+OGM-GE", "IBML (ours)"]);
    const svg = await renderSvg(curvesSpec(cd, { title: exp.title, subtitle: [] }));
    assertValidSvg(svg);
    assert.ok(svg.includes("BIO+OGM-GE") && svg.includes("Method"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
