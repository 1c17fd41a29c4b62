import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../../assert.ts";
import { encodeTokens, loadEmbeddingTable } from "../../../src/data/text/embeddings.ts";
import { gloveRow, writeGlove } from "../../fixtures/real_data.ts";
import { tempOut } from "../../helpers.ts";

Deno.test("loadEmbeddingTable: row 0 is zero, OOV maps to it, the table is cached", async () => {
  const dir = await tempOut();
  const glove = `${dir}/glove.txt`;
  await writeGlove(glove, ["a", "b", "c"]);
  const t1 = await loadEmbeddingTable(["b", "zz", "a", "b"], glove, `${dir}/cache`);
  assertEquals(t1.requested, 3);
  assertEquals(t1.index.size, 2);
  assertEquals(t1.rows.length, 3 * 300);
  assert(t1.rows.subarray(0, 300).every((v) => v === 0), "row 0 is zero");
  const b = t1.index.get("b")!;
  assertAlmostEquals(t1.rows[b * 300 + 5], gloveRow(2)[5], 1e-6);
  const cached = [...Deno.readDirSync(`${dir}/cache`)].map((e) => e.name).sort();
  assertEquals(cached.length, 2);
  assert(cached[0].endsWith(".f32") && cached[1].endsWith(".json"), cached.join(","));
  const t2 = await loadEmbeddingTable(["a", "b", "zz"], glove, `${dir}/cache`);
  assertEquals([...t2.index.entries()], [...t1.index.entries()]);
  assertEquals(Array.from(t2.rows), Array.from(t1.rows));
  assertEquals(Array.from(encodeTokens(["a", "zz", "b"], t1)), [t1.index.get("a"), 0, b]);
  assertEquals(Array.from(encodeTokens([], t1)), [0]); // empty caption: one zero vector
  await assertRejects(
    () => loadEmbeddingTable(["a"], `${dir}/missing.txt`, `${dir}/cache`),
    "glove.840B.300d.zip",
  );
  await Deno.remove(dir, { recursive: true });
});
