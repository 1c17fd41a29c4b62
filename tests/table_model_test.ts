import assert from "node:assert/strict";
import { fmt, meanStd, signed } from "../src/report/table_model.ts";
import { fixtureTables } from "./fixtures/report_fixture.ts";

Deno.test("table_model: Table 4 layout, published beside reproduced, statuses and bold", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { table4 } = await fixtureTables(out);
    assert.equal(table4.rowHeader, null);
    assert.deepEqual(table4.columns.map((c) => c.label), ["CREMA-D", "MVSA", "3D MNIST"]);
    assert.deepEqual(table4.groups.map((g) => [g.entry, g.status]), [
      ["concat", "ok"],
      ["ogm-ge", "ok"],
      ["pmr", "ok"],
      ["mla", "not implemented"],
      ["inforeg", "missing"],
      ["ibml", "ok"],
    ]);
    const ibml = table4.groups[5].rows[0].cells[0];
    assert.ok(Math.abs(ibml.mean! - 1.55) < 1e-12);
    assert.ok(Math.abs(ibml.std! - Math.sqrt(0.005)) < 1e-12);
    assert.deepEqual(ibml.published, { mean: 1.55, std: 0 });
    assert.ok(Math.abs(ibml.diff!) < 1e-12);
    assert.equal(ibml.percent, false);
    assert.equal(ibml.best, true); // closest to 1 on CREMA-D
    assert.equal(table4.groups[0].rows[0].cells[0].best, false);
    // published best on CREMA-D is IBML's 1.55; on MVSA PMR's 0.93
    assert.equal(ibml.publishedBest, true);
    assert.equal(table4.groups[2].rows[0].cells[1].publishedBest, true);
    assert.equal(table4.synthetic, true);
    assert.ok(
      table4.header.some((h) =>
        h.startsWith("Synthetic stand-in: not comparable to the published numbers")
      ),
    );
    assert.deepEqual(table4.facts.seeds, [0, 1]);
    assert.deepEqual(table4.claims.map((c) => c.claim.id), [
      "ibml-closest-to-1",
      "ibml-second-on-mvsa",
      "concat-most-imbalanced",
      "balancing-reduces-gap",
    ]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("table_model: accuracy table in percent, reconstructed mark, incomplete header", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { mini } = await fixtureTables(out);
    assert.equal(mini.rowHeader, "Test");
    const arl = mini.groups.find((g) => g.entry === "arl")!;
    assert.equal(arl.marks, "†");
    const concatVisual = mini.groups[0].rows[2].cells[0];
    assert.ok(Math.abs(concatVisual.mean! - 25) < 1e-9);
    assert.ok(Math.abs(concatVisual.diff! - (25 - 24.51)) < 1e-9);
    assert.ok(mini.header.includes("Incomplete: 10 of 10 planned runs have finished.") === false);
    assert.ok(mini.footnotes.some((f) => f.startsWith("†: reconstructed")));
    assert.ok(mini.footnotes.includes("A note from the experiment file."));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("table_model: number formatting", () => {
  assert.equal(fmt(1.005, 2), "1.00");
  assert.equal(meanStd(null, null), "—");
  assert.equal(meanStd(80.123, 0.5), "80.12 ± 0.50");
  assert.equal(signed(0.001), "0.00");
  assert.equal(signed(-1.5), "−1.50");
  assert.equal(signed(null), "");
});
