import { assertEquals } from "../../assert.ts";
import { maskKey, packText } from "../../../src/data/text/pack.ts";

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
