import assert from "node:assert/strict";
import { MetricIndex } from "../src/report/aggregate.ts";
import { binShares, histogramData, histogramSpec } from "../src/report/histogram.ts";
import { readExperimentRuns } from "../src/report/records.ts";
import { renderSvg } from "../src/report/render.ts";
import { assertValidSvg } from "./fixtures/svg.ts";
import { writeInfoRuns } from "./fixtures/figure_fixture.ts";

Deno.test("histogram: bins clamp outliers and sum to 100%", () => {
  const bins = binShares([-10, 0.1, 0.2, 0.9, 5], 0, 1, 2);
  assert.deepEqual(bins.map((b) => [b.x0, b.x1]), [[0, 0.5], [0.5, 1]]);
  assert.deepEqual(bins.map((b) => b.share), [60, 40]);
});

Deno.test("histogram: Figure 6 panels per entry x modality x epoch, with shares, as valid SVG", async () => {
  const out = await Deno.makeTempDir();
  try {
    const exp = await writeInfoRuns(out);
    const index = await MetricIndex.build(await readExperimentRuns(out, "fig6"), "best", 0);
    const hd = await histogramData(exp, index);
    assert.deepEqual(hd.columns, ["Epoch 3", "Epoch 9"]);
    assert.deepEqual(hd.rows.slice(0, 2), [
      "Concatenation · strong (audio)",
      "Concatenation · lazy (visual)",
    ]);
    assert.equal(hd.panels.length, 3 * 2 * 2);
    assert.equal(hd.panels[0].values.length, 80); // two seeds pooled
    assert.ok(Math.abs(hd.upper - Math.log(6)) < 1e-12);
    const svg = await renderSvg(histogramSpec(hd, { title: exp.title, subtitle: ["fixture"] }));
    assertValidSvg(svg);
    assert.ok(svg.includes("I(X_m; Z; Y) lower bound (nats)"));
    assert.ok(svg.includes("Samples (%)"));
    assert.match(svg, /&gt; 0: \d+% · ≤ 0: \d+%/);
    // The share metric agrees with the panel text source.
    const share = index.values("ibml", "crema-d", "info_high_lazy")[0].value;
    assert.ok(share > 0 && share <= 1);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
