/**
 * The official IBML text pipeline (`dataset/VLdataset.py`):
 * `nltk.word_tokenize(text.lower())`, i.e. Punkt sentences (punkt.ts), then Treebank
 * tokens (treebank.ts) of each.
 *
 * @example
 * ```ts
 * import { tokenize } from "./tokenize.ts";
 * tokenize("Great day!"); // ["great", "day", "!"]
 * ```
 *
 * @module
 */
import { sentences } from "./punkt.ts";
import { treebankTokens } from "./treebank.ts";

/**
 * The official text pipeline: lower-case, Punkt sentences, Treebank tokens.
 *
 * @example
 * ```ts
 * tokenize("Don't stop. RT @user: great!!"); // ["do", "n't", "stop", ".", "rt", "@", "user", ":", "great", "!", "!"]
 * ```
 */
export function tokenize(text: string): string[] {
  return sentences(text.toLowerCase()).flatMap(treebankTokens);
}
