import { assertEquals } from "../../assert.ts";
import { treebankTokens } from "../../../src/data/text/treebank.ts";

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
