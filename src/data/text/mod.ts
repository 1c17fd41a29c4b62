/**
 * Text for the image-text datasets, as the official IBML code builds it
 * (`dataset/VLdataset.py`, `utils/glove_encoder.py`): `nltk.word_tokenize(text.lower())`,
 * frozen GloVe 840B 300-d vectors looked up per token, out-of-vocabulary tokens and the
 * specials as zero vectors, no maximum length, an empty caption as one zero vector.
 *
 * Tokenizer: a re-implementation of NLTK 3.9's `word_tokenize` (Punkt sentence split,
 * then `NLTKWordTokenizer`, the improved Treebank tokenizer, on each sentence) for
 * lower-cased text. The Treebank rules are the same regular-expression rules in the same
 * order. The sentence split follows Punkt's decision procedure with the parameters of a
 * model we cannot ship: a built-in list of common English abbreviations in place of the
 * trained `english.pickle` list, no learned collocations and no learned orthographic
 * context. On lower-cased text that model decides exactly as Punkt does except for
 * abbreviations outside the list (a trailing `.` then splits off) and collocations (rare).
 *
 * GloVe: {@linkcode loadEmbeddingTable} streams the user's `glove.840B.300d.txt` once,
 * keeps only the rows of tokens the dataset uses, and caches that small table on disk.
 *
 * Batches: {@linkcode packText} builds the `text` input `[B, L, 300]` (zero-padded to the
 * longest caption of the batch, so L varies per batch; `DatasetInfo.inputShapes.text` is
 * `[-1, 300]`) and the `text_mask` input `[B, L]` (1 for real steps, 0 for padding).
 * Samples keep their batch order (the official collate sorts by length for packing; a
 * mask makes that unnecessary).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeTokens, loadEmbeddingTable, packText, tokenize } from "./mod.ts";
 * const tokens = tokenize("Good day. Love it!");
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/glove.txt`, "good 1 0\nday 0 1\nlove 1 1\n"); // a 2-d GloVe file
 * const table = await loadEmbeddingTable(tokens, `${dir}/glove.txt`, `${dir}/cache`, 2);
 * const batch = packText([encodeTokens(tokens, table)], table);
 * assert.equal(batch.length, tokens.length);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export { treebankTokens } from "./treebank.ts";
export { sentences } from "./punkt.ts";
export { tokenize } from "./tokenize.ts";
export { GLOVE_URL, readGloveRows } from "./glove.ts";
export { type EmbeddingTable, encodeTokens, loadEmbeddingTable } from "./embeddings.ts";
export { maskKey, type PackedText, packText } from "./pack.ts";
