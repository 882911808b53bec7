/**
 * SST-style tokenizer.
 *
 * The Stanford Sentiment Treebank text is already Penn-Treebank tokenized
 * (`does n't`, ``` Conan ''`, `Mr.`, `J.R.R.`), and a vocabulary built from it
 * only helps at inference time if raw user text is cut the same way. So the
 * rules below reproduce that tokenization, and applying them to SST text gives
 * back SST's own tokens (lower-cased).
 *
 * Rules, applied in this order:
 *  0. Unicode normalisation (`normalizeUnicode`, src/data/normalize.ts): NFKC, invisible
 *     format characters dropped, emoji set apart; then, with `{ social: true }` only, the
 *     social-media placeholders (`applySocialRules`, src/data/social.ts).
 *  1. Unicode: curly quotes become ASCII (‘ → `, ’ → ', “ „ « → ``,
 *     ” » → ''), em/en dashes become ` -- `, unicode hyphens/minus become `-`,
 *     `…` becomes `...`, zero-width characters are removed.
 *  2. PTB bracket escapes -LRB- -RRB- -LSB- -RSB- -LCB- -RCB- (any case)
 *     become ( ) [ ] { } — the copy of SST here writes `(`, other
 *     distributions write `-LRB-`; both give the same token.
 *  3. A double quote `"` opens (``) at the start of the text or after
 *     whitespace or an opening bracket, and closes ('') anywhere else.
 *  4. These are split off as tokens of their own: `` '' ` ( ) [ ] { } ; $ # %,
 *     runs of ! and ? (`?!`), runs of two or more periods (`...`), runs of two
 *     or more hyphens (`--`); `,` and `:` unless between digits (`20,000`,
 *     `2:30`). A single hyphen, `/` and `&` stay inside words.
 *  5. A period ending a word is split off, except for abbreviations: words
 *     with an inner period (`u.s.`, `j.r.r.`), single capital letters
 *     (`J.` as an initial), a short list (`mr. mrs. ms. dr. jr. sr. st. vs.
 *     etc. inc. ltd. co. bros. prof. sept. al. ...`) and `no.` before a number.
 *  6. Apostrophes: a trailing `'` is split off (`actors '`); the clitics
 *     's 're 've 'd 'll 'm and n't are split from the word before them
 *     (`don't` → `do n't`, `can't` → `ca n't`, `won't` → `wo n't`);
 *     `cannot` → `can not`; a leading `'` stays for elisions and clitics
 *     (`'em`, `'til`, `'n'`, `ol'`, `'70s`, a bare `'s`) and otherwise is an opening
 *     single quote, written ` (as SST does).
 *  7. Everything is lower-cased with `toLowerCase()` (locale-independent,
 *     identical in Node and browsers) and split on whitespace, so runs of
 *     whitespace collapse and the result never holds an empty token.
 */
import { hasNonAscii, normalizeUnicode } from './normalize.js';
import { applySocialRules } from './social.js';

/** Switchable tokenizer rules; recorded in each model (`highway_onnx.tokenizer`) so inference cuts text as training did. */
export interface TokenizerOptions {
  /** Social-media placeholders: URLs → `<url>`, @mentions → `<user>`, hashtags → their words, ratings and numbers → `<rating-…>`/`<number>` (default false). */
  social?: boolean;
}

const UNICODE_MAP: ReadonlyArray<[RegExp, string]> = [
  [/[\u2018\u201B]/g, '`'],
  [/[\u2019\u2032\u02BC]/g, "'"],
  [/[\u201C\u201E\u201F\u00AB]/g, ' `` '],
  [/[\u201D\u2033\u00BB]/g, " '' "],
  [/[\u2012\u2013\u2014\u2015]/g, ' -- '],
  [/[\u2010\u2011\u2212]/g, '-'],
  [/\u2026/g, ' ... '],
];

/** Rule 2: PTB bracket escapes (lower-cased) → the bracket. Exported for the in-graph tokenizer (export-text). */
export const BRACKET_ESCAPES: Readonly<Record<string, string>> = {
  '-lrb-': '(',
  '-rrb-': ')',
  '-lsb-': '[',
  '-rsb-': ']',
  '-lcb-': '{',
  '-rcb-': '}',
};

/** Rule 5: lower-cased stems that keep their final period. Exported for the in-graph tokenizer (export-text). */
export const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'mr', 'mrs', 'ms', 'dr', 'jr', 'sr', 'st', 'vs', 'etc', 'inc', 'ltd', 'co', 'corp', 'bros',
  'prof', 'gen', 'gov', 'sen', 'rep', 'lt', 'col', 'sgt', 'capt', 'mt', 'ft', 'sept', 'al',
]);

// After a leading apostrophe, these stay one token: clitics and elisions.
const LEADING_APOSTROPHE_KEEP = /^(?:s|re|ve|d|ll|m|em|til|n|\d\d?s?)$/i;
// Elisions that end in an apostrophe and stay whole: rock 'n' roll, good ol' boys.
const ELISIONS = /^(?:'n'|ol')$/i;
const CLITIC = /^(.*[a-z0-9])('s|'re|'ve|'d|'ll|'m|n't)$/i;

/**
 * Text → lower-cased tokens by the rules above (rule 0 first), switchable rules off. Pure, total:
 * never throws; an empty or all-whitespace text gives []. One argument, so `texts.map(tokenize)` works.
 */
export function tokenize(text: string): string[] {
  return tokenizeWith(text, {});
}

/** The tokenizer with its switchable rules chosen: `(text) => tokens`. */
export function tokenizerFor(options: TokenizerOptions = {}): (text: string) => string[] {
  return (text) => tokenizeWith(text, options);
}

/**
 * Rule 0 alone: `normalizeUnicode`, then the social placeholders when switched on. The part of
 * the tokenizer a raw-text model (export-text) leaves to its caller: ONNX has no NFKC.
 */
export function applyRule0(text: string, options: TokenizerOptions = {}): string {
  const s = normalizeUnicode(text);
  return options.social ? applySocialRules(s) : s;
}

function tokenizeWith(text: string, options: TokenizerOptions): string[] {
  let s = applyRule0(text, options);
  // Rule 1's characters are all outside ASCII: skip its seven passes for ASCII text.
  if (hasNonAscii(s)) for (const [re, rep] of UNICODE_MAP) s = s.replace(re, rep);
  s = s.replace(/-(?:lrb|rrb|lsb|rsb|lcb|rcb)-/gi, (m) => ` ${BRACKET_ESCAPES[m.toLowerCase()]} `);
  s = s.replace(/"/g, (_m, offset: number, whole: string) =>
    offset === 0 || /[\s([{`]/.test(whole[offset - 1]!) ? ' `` ' : " '' ",
  );
  s = s.replace(RULE_4, ' $& ');

  const chunks = s.split(/\s+/).filter((c) => c.length > 0);
  const out: string[] = [];
  for (let i = 0; i < chunks.length; i++) {
    splitWord(chunks[i]!, chunks[i + 1], out);
  }
  return out.map((t) => t.toLowerCase());
}

/**
 * Rule 4 in one pass: quotes, brackets and ; $ # %, runs of ! ?, of two or more periods or
 * hyphens, and , : unless between digits. The same as one pass per class in that order: a match
 * only gains spaces around it, no class matches a space, and the lookarounds ask only whether a
 * neighbour is a digit, which a space never is and a matched character never was.
 */
const RULE_4 = /``|''|`|[()[\]{};$#%]|[!?]+|\.{2,}|-{2,}|(?<!\d)[,:]|[,:](?!\d)/g;

/** Rules 5 and 6 for one whitespace-delimited chunk; appends tokens to `out`. */
function splitWord(chunk: string, next: string | undefined, out: string[]): void {
  // Most words have no apostrophe, no final period and are not "cannot": then no rule below
  // applies (each needs one of the three) and the word is one token.
  if (!chunk.includes("'") && !chunk.endsWith('.') && chunk.length !== 6) {
    out.push(chunk);
    return;
  }
  let word = chunk;
  const tail: string[] = [];

  // Rule 5: final period (runs of periods were already split off).
  if (word.length > 1 && word.endsWith('.') && !word.endsWith('..') && !keepsPeriod(word.slice(0, -1), next)) {
    tail.unshift('.');
    word = word.slice(0, -1);
  }
  if (ELISIONS.test(word)) {
    out.push(word, ...tail);
    return;
  }
  // Rule 6: trailing apostrophe (but '' is a closing quote, already its own chunk).
  if (word.length > 1 && word.endsWith("'") && word !== "''") {
    tail.unshift("'");
    word = word.slice(0, -1);
  }
  // Leading apostrophe: opening quote unless an elision or clitic follows.
  if (word.length > 1 && word.startsWith("'") && word !== "''" && !LEADING_APOSTROPHE_KEEP.test(word.slice(1))) {
    out.push('`');
    word = word.slice(1);
  }
  if (/^cannot$/i.test(word)) {
    out.push(word.slice(0, 3), word.slice(3));
  } else {
    const m = CLITIC.exec(word);
    if (m) out.push(m[1]!, m[2]!);
    else out.push(word);
  }
  out.push(...tail);
}

function keepsPeriod(stem: string, next: string | undefined): boolean {
  if (stem.includes('.')) return true; // u.s., j.r.r.
  if (/^[A-Z]$/.test(stem)) return true; // an initial
  const lower = stem.toLowerCase();
  if (ABBREVIATIONS.has(lower)) return true;
  return lower === 'no' && next !== undefined && /^\d/.test(next);
}
