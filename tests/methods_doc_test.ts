import { assert, assertEquals } from "./assert.ts";
import { DOC, renderBlock, spliceBlock, updatedDoc } from "../scripts/methods_doc.ts";
import { describeParams } from "../src/methods/params.ts";
import { listMethods } from "../src/methods/registry.ts";

Deno.test("methods_doc: docs/methods.md's parameter table matches the declarations", async () => {
  const text = await Deno.readTextFile(DOC);
  const next = await updatedDoc(text);
  assert(
    next === text,
    "docs/methods.md's parameter table is stale: run `deno run -A scripts/methods_doc.ts`",
  );
});

Deno.test("methods_doc: one row per declared parameter, with its default and range", () => {
  const block = renderBlock();
  for (const m of listMethods()) {
    for (const p of describeParams(m.params)) {
      const row = `| ${m.name} | \`${p.name}\` | ${p.default} | ${p.allowed} |`;
      assert(block.includes(row), `missing row: ${row}`);
    }
  }
  assert(block.includes("| concat | none |"), "methods without parameters are listed");
  // A doc line with pipes stays one cell.
  assert(block.includes("max(1, \\|g_sum\\| / \\|g_new\\|)"), "pipes are escaped");
});

Deno.test("methods_doc: the block is replaced in place, or inserted before Learning rates", () => {
  const once = spliceBlock("intro\n\n## Learning rates\n\ntext\n", renderBlock());
  assert(once.includes("## Parameters"), once);
  assert(once.indexOf("## Parameters") < once.indexOf("## Learning rates"), once);
  assertEquals(spliceBlock(once, renderBlock()), once);
  const edited = once.replace("| ibml | `lambda` |", "| ibml | `lam` |");
  assertEquals(spliceBlock(edited, renderBlock()), once);
});
