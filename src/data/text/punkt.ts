/**
 * Sentence splitting as NLTK's Punkt does it, with the parameters of a model we cannot
 * ship: a built-in list of common English abbreviations in place of the trained
 * `english.pickle` list, no learned collocations and no learned orthographic context. On
 * lower-cased text that model decides exactly as Punkt does except for abbreviations
 * outside the list (a trailing `.` then splits off) and collocations (rare).
 *
 * @example
 * ```ts
 * import { sentences } from "./punkt.ts";
 * sentences("good day. love it!"); // ["good day.", "love it!"]
 * ```
 *
 * @module
 */

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
