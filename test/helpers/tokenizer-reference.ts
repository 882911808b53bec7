// The tokenizer as it was before its fast paths (commit 891fa56: src/data/tokenizer.ts and
// src/data/normalize.ts): every rule a pass of its own, no ASCII skip, no shortcut in splitWord.
// Kept as the plain reference the fast tokenizer must equal token for token
// (src/data/tokenizer-reference.test.ts); the rules are documented in src/data/tokenizer.ts.
import { applySocialRules } from '../../src/data/social.js';
import type { TokenizerOptions } from '../../src/data/tokenizer.js';

const EMOJI_TAIL = '(?:\\uFE0F|\\p{Emoji_Modifier})?';
const PICTO = `\\p{Extended_Pictographic}${EMOJI_TAIL}`;
const EMOJI = new RegExp(`${PICTO}(?:\\u200D${PICTO})*[\\u{E0020}-\\u{E007F}]*|\\p{Regional_Indicator}{2}`, 'gu');
const FORMAT = /(?![\u200D\u{E0020}-\u{E007F}])\p{Cf}/gu;
const STRAY_ZWJ = new RegExp(`(?<!${PICTO})\\u200D|\\u200D(?!\\p{Extended_Pictographic})`, 'gu');
const STRAY_TAG = new RegExp(`(?<!(?:${PICTO}|[\\u{E0020}-\\u{E007F}]))[\\u{E0020}-\\u{E007F}]`, 'gu');

/** Rule 0's Unicode part, every pass on every text. */
export function referenceNormalizeUnicode(text: string): string {
  return text.normalize('NFKC').replace(FORMAT, '').replace(STRAY_ZWJ, '').replace(STRAY_TAG, '').replace(EMOJI, ' $& ');
}

// Rule 1.
const UNICODE_MAP: ReadonlyArray<[RegExp, string]> = [
  [/[\u2018\u201B]/g, '`'],
  [/[\u2019\u2032\u02BC]/g, "'"],
  [/[\u201C\u201E\u201F\u00AB]/g, ' `` '],
  [/[\u201D\u2033\u00BB]/g, " '' "],
  [/[\u2012\u2013\u2014\u2015]/g, ' -- '],
  [/[\u2010\u2011\u2212]/g, '-'],
  [/\u2026/g, ' ... '],
];

/** Rule 2: PTB bracket escapes (lower-cased) → the bracket. */
const BRACKET_ESCAPES: Readonly<Record<string, string>> = {
  '-lrb-': '(',
  '-rrb-': ')',
  '-lsb-': '[',
  '-rsb-': ']',
  '-lcb-': '{',
  '-rcb-': '}',
};

/** Rule 5: lower-cased stems that keep their final period. */
const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'mr', 'mrs', 'ms', 'dr', 'jr', 'sr', 'st', 'vs', 'etc', 'inc', 'ltd', 'co', 'corp', 'bros',
  'prof', 'gen', 'gov', 'sen', 'rep', 'lt', 'col', 'sgt', 'capt', 'mt', 'ft', 'sept', 'al',
]);

// After a leading apostrophe, these stay one token: clitics and elisions.
const LEADING_APOSTROPHE_KEEP = /^(?:s|re|ve|d|ll|m|em|til|n|\d\d?s?)$/i;
// Elisions that end in an apostrophe and stay whole: rock 'n' roll, good ol' boys.
const ELISIONS = /^(?:'n'|ol')$/i;
const CLITIC = /^(.*[a-z0-9])('s|'re|'ve|'d|'ll|'m|n't)$/i;

/** The reference tokenizer with its switchable rules chosen: `(text) => tokens`, as tokenizerFor was at 891fa56. */
export function referenceTokenizerFor(options: TokenizerOptions = {}): (text: string) => string[] {
  return (text) => tokenizeWith(text, options);
}

function tokenizeWith(text: string, options: TokenizerOptions): string[] {
  let s = referenceNormalizeUnicode(text);
  if (options.social) s = applySocialRules(s);
  for (const [re, rep] of UNICODE_MAP) s = s.replace(re, rep);
  s = s.replace(/-(?:lrb|rrb|lsb|rsb|lcb|rcb)-/gi, (m) => ` ${BRACKET_ESCAPES[m.toLowerCase()]} `);
  s = s.replace(/"/g, (_m, offset: number, whole: string) =>
    offset === 0 || /[\s([{`]/.test(whole[offset - 1]!) ? ' `` ' : " '' ",
  );
  s = s
    .replace(/``|''|`/g, ' $& ')
    .replace(/[()[\]{};$#%]/g, ' $& ')
    .replace(/[!?]+/g, ' $& ')
    .replace(/\.{2,}/g, ' $& ')
    .replace(/-{2,}/g, ' $& ')
    .replace(/(?<!\d)[,:]|[,:](?!\d)/g, ' $& ');

  const chunks = s.split(/\s+/).filter((c) => c.length > 0);
  const out: string[] = [];
  for (let i = 0; i < chunks.length; i++) {
    splitWord(chunks[i]!, chunks[i + 1], out);
  }
  return out.map((t) => t.toLowerCase());
}

/** Rules 5 and 6 for one whitespace-delimited chunk; appends tokens to `out`. */
function splitWord(chunk: string, next: string | undefined, out: string[]): void {
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
