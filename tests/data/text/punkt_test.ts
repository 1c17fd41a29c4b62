import { assertEquals } from "../../assert.ts";
import { sentences } from "../../../src/data/text/punkt.ts";

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
