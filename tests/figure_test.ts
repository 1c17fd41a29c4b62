import assert from "node:assert/strict";
import { main } from "../src/cli/figure.ts";
import { capture } from "./fixtures/capture.ts";
import { writeCurveRuns } from "./fixtures/figure_fixture.ts";
import { assertValidSvg } from "./fixtures/svg.ts";

Deno.test("figure: writes SVG and PNG of a figure experiment", async () => {
  const out = await Deno.makeTempDir();
  try {
    await writeCurveRuns(out, "fig2", ["concat", "ogm-ge", "mmpareto", "ibml"]);
    const svg = await capture(() => main(["fig2", "--out", out]));
    assert.equal(svg.code, 0, svg.err);
    assert.equal(svg.out, `${out}/figures/fig2.svg`);
    assertValidSvg(await Deno.readTextFile(svg.out));
    const png = await capture(() => main(["fig2", "--format", "png", "--out", out]));
    assert.equal(png.code, 0, png.err);
    const bytes = await Deno.readFile(png.out);
    assert.deepEqual([...bytes.slice(1, 4)], [0x50, 0x4e, 0x47]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("figure: a table experiment or missing runs exit 2", async () => {
  const out = await Deno.makeTempDir();
  try {
    const t = await capture(() => main(["table4", "--out", out]));
    assert.equal(t.code, 2);
    assert.match(t.err, /table4 is a ratio-table experiment, not a figure/);
    const none = await capture(() => main(["fig2", "--out", out]));
    assert.equal(none.code, 2);
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
