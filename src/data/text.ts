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
 * @module
 */
import { createHash } from "node:crypto";
import { DataMalformedError, DataMissingError } from "./loaders/errors.ts";

// ---------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------

/** A Unicode word character (Python 3's `\w` on str). */
const W = "[\\p{L}\\p{N}_]";

type Rule = [RegExp, string];

const STARTING_QUOTES: Rule[] = [
  [/([«“‘„]|[`]+)/gu, " $1 "],
  [/^"/u, "``"],
  [/(``)/gu, " $1 "],
  [/([ ([{<])("|'{2})/gu, "$1 `` "],
  [new RegExp(`(?<!${W})(')(?!(?:re|ve|ll|m|t|s|d|n)(?!${W}))(?=${W})`, "giu"), "$1 "],
];

const PUNCTUATION: Rule[] = [
  [/([^.])(\.)([\])}>"'»”’ ]*)\s*$/u, "$1 $2 $3 "],
  [/([:,])([^\p{Nd}])/gu, " $1 $2"],
  [/([:,])$/u, " $1 "],
  [/\.{2,}/gu, " $& "],
  [/[;@#$%&]/gu, " $& "],
  [/[\u2012-\u2015]/gu, " $& "],
  [/([^.])(\.)([\])}>"']*)\s*$/u, "$1 $2$3 "],
  [/[?!]/gu, " $& "],
  [/([^'])' /gu, "$1 ' "],
  [/[*]/gu, " $& "],
];

const PARENS_BRACKETS: Rule = [/[\][(){}<>]/gu, " $& "];
const DOUBLE_DASHES: Rule = [/--/gu, " -- "];

const ENDING_QUOTES: Rule[] = [
  [/([»”’])/gu, " $1 "],
  [/''/gu, " '' "],
  [/"/gu, " '' "],
  [/\s+/gu, " "],
  [/([^' ])('[sS]|'[mM]|'[dD]|') /gu, "$1 $2 "],
  [/([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) /gu, "$1 $2 "],
];

const B0 = `(?<!${W})`;
const B1 = `(?!${W})`;
const CONTRACTIONS: Rule[] = [
  ...[
    `${B0}(can)(not)${B1}`,
    `${B0}(d)('ye)${B1}`,
    `${B0}(gim)(me)${B1}`,
    `${B0}(gon)(na)${B1}`,
    `${B0}(got)(ta)${B1}`,
    `${B0}(lem)(me)${B1}`,
    `${B0}(more)('n)${B1}`,
    `${B0}(wan)(na)(?=\\s)`,
    ` ('t)(is)${B1}`,
    ` ('t)(was)${B1}`,
  ].map((p): Rule => [new RegExp(p, "giu"), " $1 $2 "]),
];

function applyRules(text: string, rules: Rule[]): string {
  let t = text;
  for (const [re, sub] of rules) t = t.replace(re, sub);
  return t;
}

/**
 * NLTK's `NLTKWordTokenizer.tokenize` (the improved Treebank tokenizer) on one sentence.
 *
 * @example
 * ```ts
 * treebankTokens("they'll save and invest more."); // ["they", "'ll", "save", "and", "invest", "more", "."]
 * treebankTokens("i can't go"); // ["i", "ca", "n't", "go"]
 * ```
 */
export function treebankTokens(sentence: string): string[] {
  let t = applyRules(sentence, STARTING_QUOTES);
  t = applyRules(t, PUNCTUATION);
  t = applyRules(t, [PARENS_BRACKETS, DOUBLE_DASHES]);
  t = applyRules(` ${t} `, ENDING_QUOTES);
  t = applyRules(t, CONTRACTIONS);
  return t.split(/\s+/u).filter((s) => s.length > 0);
}

/**
 * Abbreviations that do not end a sentence: a short, unambiguous stand-in for the trained
 * Punkt list (words that are also ordinary words, such as "no" or "sun", are left out so
 * that a sentence ending in them still splits its period off). Lower case, no final period.
 */
const ABBREVIATIONS = new Set(
  ("mr mrs ms dr prof sr jr st vs etc inc ltd corp jan feb apr jun jul aug sep sept oct nov " +
    "dec u.s u.k u.n e.g i.e a.m p.m").split(" "),
);

const NON_WORD = `[?!)";}\\]*:@'({\\[]`;
const MULTI_CHAR = `(?:-{2,}|\\.{2,}|(?:\\.\\s){2,}\\.)`;
const WORD_START = `[^("\`{\\[:;&#*@)}\\]\\-,]`;
const PUNKT_WORD = new RegExp(
  `${MULTI_CHAR}|(?=${WORD_START})\\S+?(?=\\s|$|${NON_WORD}|${MULTI_CHAR}|,(?=$|\\s|${NON_WORD}|${MULTI_CHAR}))|\\S`,
  "gu",
);
const PERIOD_CONTEXT = new RegExp(`\\S*[.?!](?=(${NON_WORD}|\\s+(\\S+)))`, "gu");
const BOUNDARY_REALIGN = /^["')\]}]+?(?:\s+|(?=--)|$)/u;
const NUMERIC = /^-?[.,]?\p{Nd}[\p{Nd},.-]*\.?$/u;
const INITIAL = /^[\p{L}_]\.$/u;
const PUNKT_PUNCT = new Set([";", ":", ",", ".", "!", "?"]);

interface PunktTok {
  tok: string;
  sentbreak: boolean;
  abbr: boolean;
  ellipsis: boolean;
}

/** Punkt's first pass (period-final tokens, ellipses, sentence-end characters). */
function firstPass(tok: string): PunktTok {
  const t: PunktTok = { tok, sentbreak: false, abbr: false, ellipsis: false };
  if (tok === "." || tok === "?" || tok === "!") t.sentbreak = true;
  else if (/^\.\.+$/u.test(tok)) t.ellipsis = true;
  else if (tok.endsWith(".") && !tok.endsWith("..")) {
    const stem = tok.slice(0, -1).toLowerCase();
    const last = stem.split("-").pop() ?? stem;
    if (ABBREVIATIONS.has(stem) || ABBREVIATIONS.has(last)) t.abbr = true;
    else t.sentbreak = true;
  }
  return t;
}

/** Punkt's orthographic heuristic with an empty learned context. */
function orthoSentStarter(next: PunktTok): boolean | "unknown" {
  if (PUNKT_PUNCT.has(next.tok)) return false;
  const c = next.tok[0];
  if (c.toLowerCase() === c && c.toUpperCase() !== c) return false; // lower-case first letter
  return "unknown";
}

/** Punkt's second pass for one token pair (initials and ordinals followed by lower case). */
function secondPass(t1: PunktTok, t2: PunktTok): void {
  if (!t1.tok.endsWith(".")) return;
  const isInitial = INITIAL.test(t1.tok);
  if ((t1.abbr || t1.ellipsis) && !isInitial) {
    // Only an upper-case next word could make these a break; lower-cased text has none.
    return;
  }
  if (isInitial || NUMERIC.test(t1.tok)) {
    if (orthoSentStarter(t2) === false) {
      t1.sentbreak = false;
      t1.abbr = true;
    }
  }
}

function containsSentbreak(context: string): boolean {
  const toks = [...context.matchAll(PUNKT_WORD)].map((m) => firstPass(m[0]));
  for (let i = 0; i + 1 < toks.length; i++) secondPass(toks[i], toks[i + 1]);
  let found = false;
  for (const t of toks) {
    if (found) return true;
    if (t.sentbreak) found = true;
  }
  return false;
}

/**
 * Splits text into sentences as Punkt does (see the module note for the parameters).
 *
 * @example
 * ```ts
 * sentences("good day. love it! dr. who"); // ["good day.", "love it!", "dr. who"]
 * ```
 */
export function sentences(text: string): string[] {
  const slices: [number, number][] = [];
  let last = 0;
  for (const m of text.matchAll(PERIOD_CONTEXT)) {
    const end = m.index + m[0].length;
    if (!containsSentbreak(m[0] + m[1])) continue;
    slices.push([last, end]);
    last = m[2] !== undefined ? end + m[1].length - m[2].length : end;
  }
  slices.push([last, text.trimEnd().length]);
  // Realign closing punctuation that follows a break into the sentence before it.
  const out: string[] = [];
  let realign = 0;
  for (let i = 0; i < slices.length; i++) {
    const [s, e] = [slices[i][0] + realign, slices[i][1]];
    const next = slices[i + 1];
    if (!next) {
      if (e > s) out.push(text.slice(s, e));
      continue;
    }
    const m = BOUNDARY_REALIGN.exec(text.slice(next[0], next[1]));
    if (m) {
      out.push(text.slice(s, next[0] + m[0].trimEnd().length));
      realign = m[0].length;
    } else {
      realign = 0;
      if (e > s) out.push(text.slice(s, e));
    }
  }
  return out;
}

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

// ---------------------------------------------------------------------------------------
// GloVe
// ---------------------------------------------------------------------------------------

/**
 * Where the official vectors come from (for error messages).
 *
 * @example
 * ```ts
 * GLOVE_URL.endsWith("glove.840B.300d.zip"); // true
 * ```
 */
export const GLOVE_URL = "https://nlp.stanford.edu/data/glove.840B.300d.zip";

/** The embedding rows a dataset needs: row 0 is the zero vector (`[UNK]`, padding). */
export interface EmbeddingTable {
  /** Vector size (300 for GloVe 840B). */
  dim: number;
  /** Token -> row (>= 1) for tokens found in the GloVe file. */
  index: Map<string, number>;
  /** `(index.size + 1) * dim` values, row-major; row 0 is all zeros. */
  rows: Float32Array;
  /** Number of distinct tokens that were asked for. */
  requested: number;
}

/**
 * Streams a GloVe text file (`token v1 ... v_dim` per line) and returns the vectors of
 * the `wanted` tokens. Lines whose token contains spaces (a few in 840B) or whose token
 * is not valid UTF-8 are skipped; a token listed twice keeps its last vector (as
 * torchtext's `stoi` does).
 *
 * @example
 * ```ts ignore
 * const rows = await readGloveRows("glove.840B.300d.txt", new Set(["the", "cat"]), 300);
 * ```
 */
export async function readGloveRows(
  path: string,
  wanted: Set<string>,
  dim = 300,
): Promise<Map<string, Float32Array>> {
  const found = new Map<string, Float32Array>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw gloveMissing(path);
    throw e;
  }
  const chunk = new Uint8Array(1 << 22);
  let carry = new Uint8Array(0);
  let lineNo = 0;
  const handle = (line: Uint8Array) => {
    lineNo++;
    let end = line.length;
    if (end > 0 && line[end - 1] === 13) end--; // CRLF
    const sp = line.indexOf(32);
    if (sp <= 0 || sp >= end) return;
    let token: string;
    try {
      token = decoder.decode(line.subarray(0, sp));
    } catch {
      return;
    }
    if (!wanted.has(token)) return;
    const fields = decoder.decode(line.subarray(sp + 1, end)).split(" ");
    if (fields.length !== dim) {
      if (fields.length > dim) return; // a token with spaces: never one of ours
      throw new DataMalformedError({
        what: "GloVe",
        file: `${path}:${lineNo}`,
        problem: `token '${token}' has ${fields.length} values, expected ${dim}`,
        how: `use the 300-d vectors from ${GLOVE_URL} (unzipped)`,
      });
    }
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = Number(fields[i]);
    found.set(token, v);
  };
  try {
    while (true) {
      const n = await file.read(chunk);
      if (n === null) break;
      const buf = carry.length ? concat(carry, chunk.subarray(0, n)) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        handle(buf.subarray(start, nl));
        start = nl + 1;
      }
      carry = buf.slice(start);
    }
    if (carry.length) handle(carry);
  } finally {
    file.close();
  }
  return found;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function gloveMissing(path: string): DataMissingError {
  return new DataMissingError({
    what: "GloVe 840B 300-d vectors",
    folder: path,
    contents: "glove.840B.300d.txt (the unzipped text file, about 5.6 GB)",
    how: `download ${GLOVE_URL}, unzip it, and pass its path with --set data.glove=PATH ` +
      `(or put it at <data-root>/glove/glove.840B.300d.txt)`,
  });
}

interface CacheHeader {
  format: 1;
  glove: { path: string; size: number; mtime: number };
  dim: number;
  requested: number;
  tokens: string[];
}

/**
 * The embedding rows of `vocab` from the GloVe file at `glovePath`, cached under
 * `cacheDir` (`glove-<hash>.json` + `.f32`, keyed on the file's path, size and time and
 * the vocabulary), so only the first run streams the big file.
 *
 * @example
 * ```ts ignore
 * const table = await loadEmbeddingTable(["the", "cat"], "glove.840B.300d.txt", "results/cache/mvsa");
 * table.rows.length; // (found + 1) * 300
 * ```
 */
export async function loadEmbeddingTable(
  vocab: Iterable<string>,
  glovePath: string,
  cacheDir: string,
  dim = 300,
): Promise<EmbeddingTable> {
  const words = [...new Set(vocab)].sort();
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(glovePath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw gloveMissing(glovePath);
    throw e;
  }
  const glove = { path: glovePath, size: stat.size, mtime: stat.mtime?.getTime() ?? 0 };
  const key = createHash("sha256").update(JSON.stringify({ glove, dim, words })).digest("hex")
    .slice(0, 16);
  const base = `${cacheDir}/glove-${key}`;
  const cached = await readCache(base, dim);
  if (cached) return cached;
  const found = await readGloveRows(glovePath, new Set(words), dim);
  const tokens = words.filter((w) => found.has(w));
  const rows = new Float32Array((tokens.length + 1) * dim);
  const index = new Map<string, number>();
  tokens.forEach((t, i) => {
    rows.set(found.get(t)!, (i + 1) * dim);
    index.set(t, i + 1);
  });
  const header: CacheHeader = { format: 1, glove, dim, requested: words.length, tokens };
  await writeCache(base, header, rows);
  return { dim, index, rows, requested: words.length };
}

async function readCache(base: string, dim: number): Promise<EmbeddingTable | null> {
  try {
    const header = JSON.parse(await Deno.readTextFile(`${base}.json`)) as CacheHeader;
    const bytes = await Deno.readFile(`${base}.f32`);
    if (header.format !== 1 || header.dim !== dim) return null;
    if (bytes.byteLength !== (header.tokens.length + 1) * dim * 4) return null;
    const rows = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const index = new Map(header.tokens.map((t, i) => [t, i + 1]));
    return { dim, index, rows, requested: header.requested };
  } catch {
    return null;
  }
}

async function writeCache(base: string, header: CacheHeader, rows: Float32Array): Promise<void> {
  const dir = base.slice(0, base.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${base}.tmp-${Deno.pid}`;
  await Deno.writeFile(`${tmp}.f32`, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  await Deno.writeTextFile(`${tmp}.json`, JSON.stringify(header));
  await Deno.rename(`${tmp}.f32`, `${base}.f32`);
  await Deno.rename(`${tmp}.json`, `${base}.json`);
}

/**
 * Token rows of one caption: GloVe row per token, 0 (`[UNK]`, a zero vector) for
 * out-of-vocabulary tokens, and `[0]` (one zero vector) for an empty caption.
 *
 * @example
 * ```ts ignore
 * encodeTokens(["the", "zzz"], table); // Int32Array [row of "the", 0]
 * encodeTokens([], table); // Int32Array [0]
 * ```
 */
export function encodeTokens(tokens: string[], table: EmbeddingTable): Int32Array {
  if (tokens.length === 0) return Int32Array.of(0);
  return Int32Array.from(tokens, (t) => table.index.get(t) ?? 0);
}

// ---------------------------------------------------------------------------------------
// Batch convention
// ---------------------------------------------------------------------------------------

/**
 * The input key of the padding mask that goes with a text modality (change the batch
 * convention here and in {@linkcode packText}).
 *
 * @example
 * ```ts
 * maskKey("text"); // "text_mask"
 * ```
 */
export function maskKey(modality: string): string {
  return `${modality}_mask`;
}

/** Host arrays of one text batch. */
export interface PackedText {
  /** `[B, L, dim]` embeddings, zero-padded. */
  values: Float32Array;
  /** `[B, L]` 1 for real steps, 0 for padding. */
  mask: Float32Array;
  /** Per-sample lengths (each >= 1). */
  lengths: Int32Array;
  /** L: the longest caption of the batch. */
  length: number;
}

/**
 * Packs captions (token rows) into the padded batch arrays.
 *
 * @example
 * ```ts ignore
 * const p = packText([Int32Array.of(1, 2), Int32Array.of(3)], table);
 * p.length; // 2
 * Array.from(p.mask); // [1, 1, 1, 0]
 * ```
 */
export function packText(seqs: Int32Array[], table: EmbeddingTable): PackedText {
  const dim = table.dim;
  const length = Math.max(1, ...seqs.map((s) => s.length));
  const values = new Float32Array(seqs.length * length * dim);
  const mask = new Float32Array(seqs.length * length);
  const lengths = new Int32Array(seqs.length);
  seqs.forEach((s, b) => {
    lengths[b] = s.length;
    for (let t = 0; t < s.length; t++) {
      mask[b * length + t] = 1;
      const row = s[t];
      if (row > 0) {
        values.set(table.rows.subarray(row * dim, (row + 1) * dim), (b * length + t) * dim);
      }
    }
  });
  return { values, mask, lengths, length };
}
