import assert from "node:assert/strict";
import { renderLatex, texEscape } from "../src/report/table_tex.ts";
import { fixtureTables } from "./fixtures/report_fixture.ts";
import { assertGolden } from "./fixtures/golden.ts";

Deno.test("table_tex: golden LaTeX", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { table4, mini } = await fixtureTables(out);
    await assertGolden("table4.tex.golden", renderLatex(table4));
    await assertGolden("mini.tex.golden", renderLatex(mini));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("table_tex: escaping", () => {
  assert.equal(texEscape("a_b & 50% {x} \\"), "a\\_b \\& 50\\% \\{x\\} \\textbackslash{}");
  assert.equal(texEscape("Audio (↑) ± Δ"), "Audio ($\\uparrow$) $\\pm$ $\\Delta$");
});
