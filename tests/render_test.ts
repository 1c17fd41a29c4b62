import assert from "node:assert/strict";
import { renderSvg, svgToPng } from "../src/report/render.ts";
import { assertValidSvg } from "./fixtures/svg.ts";

Deno.test("render: vega-lite to SVG to PNG without a browser", async () => {
  const svg = await renderSvg({
    data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] },
    mark: "line",
    encoding: {
      x: { field: "x", type: "quantitative", title: "Epoch" },
      y: { field: "y", type: "quantitative", title: "Accuracy (%)" },
    },
  });
  assertValidSvg(svg);
  assert.ok(svg.includes("Epoch") && svg.includes("Accuracy (%)"));
  const png = svgToPng(svg, 400);
  assert.deepEqual([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // width is in the IHDR chunk
  assert.equal(new DataView(png.buffer, png.byteOffset).getUint32(16), 400);
});
