/**
 * Rendering without a browser: vega-lite spec -> vega -> SVG (headless view, renderer
 * "none") -> PNG (resvg, system fonts).
 *
 * @module
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { Resvg } from "@resvg/resvg-js";

/**
 * Renders a vega-lite spec to an SVG string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const svg = await renderSvg({
 *   data: { values: [{ x: 1, y: 2 }] },
 *   mark: "point",
 *   encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
 * });
 * assert.ok(svg.startsWith("<svg"));
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Rasterises an SVG string to PNG bytes at `width` pixels (default: twice the SVG width).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderSvg, svgToPng } from "./render.ts";
 * const svg = await renderSvg({ data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } });
 * const png = svgToPng(svg, 200);
 * assert.deepEqual([...png.slice(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
 * ```
 */
export function svgToPng(svg: string, width?: number): Uint8Array {
  const m = /<svg[^>]*\swidth="([\d.]+)"/.exec(svg);
  const target = width ?? Math.round((m ? Number(m[1]) : 800) * 2);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "width", value: target },
    background: "white",
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  return resvg.render().asPng();
}
