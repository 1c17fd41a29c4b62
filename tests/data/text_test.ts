import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../assert.ts";
import {
  encodeTokens,
  loadEmbeddingTable,
  maskKey,
  packText,
  readGloveRows,
  sentences,
  tokenize,
  treebankTokens,
} from "../../src/data/text.ts";
import { gloveRow, writeGlove } from "../fixtures/real_data.ts";
import { tempOut } from "../helpers.ts";

/** Space-separated tokens. */
const w = (s: string) => s.split(" ");

Deno.test("treebankTokens follows NLTKWordTokenizer's documented outputs", () => {
  const s = "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\n" +
    "two of them.\nThanks.";
  assertEquals(
    treebankTokens(s),
    w("Good muffins cost $ 3.88 ( roughly 3,36 euros ) in New York. Please buy me two of them. Thanks ."),
  );
  assertEquals(
    treebankTokens("They'll save and invest more."),
    w("They 'll save and invest more ."),
  );
  assertEquals(treebankTokens("hi, my name can't hello,"), w("hi , my name ca n't hello ,"));
  assertEquals(
    treebankTokens('he said "hi" -- i cannot, wanna go'),
    w("he said `` hi '' -- i can not , wan na go"),
  );
});

Deno.test("sentences splits as Punkt does on lower-cased text", () => {
  const s = "good muffins cost $3.88\nin new york.  please buy me\ntwo of them.\n\nthanks.";
  assertEquals(sentences(s), [
    "good muffins cost $3.88\nin new york.",
    "please buy me\ntwo of them.",
    "thanks.",
  ]);
  // Abbreviations, initials and numbers before a lower-case word do not split; ellipses neither.
  assertEquals(sentences("mr. smith met j. doe at 5. then... home"), [
    "mr. smith met j. doe at 5. then... home",
  ]);
  // Closing punctuation after the break stays with the sentence before it.
  assertEquals(sentences('(how are you?) "fine." ok'), ["(how are you?)", '"fine."', "ok"]);
});

Deno.test("tokenize lower-cases and splits as word_tokenize(text.lower())", () => {
  assertEquals(
    tokenize("Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them."),
    w("good muffins cost $ 3.88 in new york . please buy me two of them ."),
  );
  assertEquals(tokenize("RT @User: Don't stop!! #fun"), w("rt @ user : do n't stop ! ! # fun"));
  assertEquals(tokenize(""), []);
  assertEquals(tokenize("   "), []);
});

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

Deno.test("packText pads to the longest caption and masks the padding", () => {
  const dim = 2;
  const table = {
    dim,
    index: new Map([["x", 1], ["y", 2]]),
    rows: Float32Array.of(0, 0, 1, 1, 2, 2),
    requested: 2,
  };
  const p = packText([Int32Array.of(1, 2, 0), Int32Array.of(0)], table);
  assertEquals(p.length, 3);
  assertEquals(Array.from(p.lengths), [3, 1]);
  assertEquals(Array.from(p.mask), [1, 1, 1, 1, 0, 0]);
  assertEquals(Array.from(p.values), [1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(maskKey("text"), "text_mask");
});
