/**
 * Unicode character sets of the JavaScript engine, turned into RE2 character classes and
 * lookup tables for the in-graph tokenizer: what `\s` matches, what `toLowerCase()` changes,
 * and the Cased / Case_Ignorable properties that decide the final sigma. Computed from the
 * running engine at export time, so the graph agrees with the tokenizer that built the vocabulary.
 */
import { re2Ranges } from './string-graph.js';

const MAX_CP = 0x10ffff;

function codePoints(test: (ch: string) => boolean): number[] {
  const out: number[] = [];
  for (let cp = 0; cp <= MAX_CP; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue; // lone surrogates cannot reach the graph (UTF-8)
    if (test(String.fromCodePoint(cp))) out.push(cp);
  }
  return out;
}

export interface UnicodeTables {
  /** RE2 class body: JavaScript's `\s` (what `split(/\s+/)` cuts at). */
  space: string;
  /** Code points whose `toLowerCase()` differs from themselves, with that lower-case form. */
  lower: { upper: string[]; lower: string[]; classBody: string };
  /** RE2 class bodies: Case_Ignorable, and Cased but not Case_Ignorable (ICU's final-sigma test). */
  caseIgnorable: string;
  casedNotIgnorable: string;
}

let cached: UnicodeTables | null = null;

/** The tables (computed once, about a second: a pass over every code point). */
export function unicodeTables(): UnicodeTables {
  if (cached) return cached;
  const space = codePoints((c) => /\s/.test(c));
  const upper = codePoints((c) => c.toLowerCase() !== c && c !== '\u03A3');
  const ci = codePoints((c) => /\p{Case_Ignorable}/u.test(c));
  const ciSet = new Set(ci);
  const cased = codePoints((c) => /\p{Cased}/u.test(c)).filter((cp) => !ciSet.has(cp));
  const upperChars = upper.map((cp) => String.fromCodePoint(cp));
  cached = {
    space: re2Ranges(space),
    lower: {
      upper: upperChars,
      lower: upperChars.map((c) => c.toLowerCase()),
      // Σ is in the class too: its lower case depends on its neighbours (final sigma).
      classBody: re2Ranges([...upper, 0x03a3].sort((a, b) => a - b)),
    },
    caseIgnorable: re2Ranges(ci),
    casedNotIgnorable: re2Ranges(cased),
  };
  return cached;
}
