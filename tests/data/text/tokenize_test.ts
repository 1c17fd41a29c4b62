import { assertEquals } from "../../assert.ts";
import { tokenize } from "../../../src/data/text/tokenize.ts";

/** Space-separated tokens. */
const w = (s: string) => s.split(" ");

Deno.test("tokenize lower-cases and splits as word_tokenize(text.lower())", () => {
  assertEquals(
    tokenize("Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them."),
    w("good muffins cost $ 3.88 in new york . please buy me two of them ."),
  );
  assertEquals(tokenize("RT @User: Don't stop!! #fun"), w("rt @ user : do n't stop ! ! # fun"));
  assertEquals(tokenize(""), []);
  assertEquals(tokenize("   "), []);
});
