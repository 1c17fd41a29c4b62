import { assertAlmostEquals, assertEquals, assertRejects } from "../../assert.ts";
import { readGloveRows } from "../../../src/data/text/glove.ts";
import { writeGlove } from "../../fixtures/real_data.ts";
import { tempOut } from "../../helpers.ts";

Deno.test("readGloveRows keeps wanted rows, skips spaced tokens, last duplicate wins", async () => {
  const dir = await tempOut();
  const path = `${dir}/g.txt`;
  await writeGlove(path, ["the", ".", "cat"]);
  const rows = await readGloveRows(path, new Set(["the", ".", "dog"]));
  assertEquals([...rows.keys()].sort(), [".", "the"]);
  assertAlmostEquals(rows.get("the")![0], 99, 1e-5); // the duplicate at the end wins
  assertAlmostEquals(rows.get(".")![1], 2.001, 1e-5); // not the ". . ." line
  assertEquals(rows.get("the")!.length, 300);
  await assertRejects(() => readGloveRows(`${dir}/none.txt`, new Set()), "GloVe 840B 300-d");
  await Deno.remove(dir, { recursive: true });
});
