/**
 * NLTK 3.9's `NLTKWordTokenizer` (the improved Treebank tokenizer) on one sentence: the
 * same regular-expression rules in the same order.
 *
 * @example
 * ```ts
 * import { treebankTokens } from "./treebank.ts";
 * treebankTokens("i can't go"); // ["i", "ca", "n't", "go"]
 * ```
 *
 * @module
 */

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
