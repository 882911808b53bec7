/**
 * A built-in sentiment data set, generated from a seed, so the project can
 * train and test end to end with no download and no committed data.
 *
 * It is made so that word order matters: a bag-of-words model sees the same
 * words in "the plot is not good" (negative) and "the plot is not bad"
 * (positive), and one positive plus one negative word in every contrast
 * sentence. Rules (the label is always well defined):
 *  - negation (`not`, `n't`, `never`) flips the polarity of its clause;
 *  - intensifiers (`very`, `really`, `extremely`, ...) do not change it;
 *  - `X but Y` / `X, yet Y` take the label of Y;
 *  - `although X, Y` and `Y, although X` (also `though`, `even though`)
 *    take the label of the main clause Y, wherever it stands.
 * About 45% of sentences are negated or contrastive. Labels are exactly
 * balanced per split (the odd one out is positive).
 *
 * Splits are generated test first, then dev, then train, each from its own
 * forked stream and rejecting any sentence already used, so no sentence
 * appears twice and dev/test do not change when only `trainSize` does.
 */
import type { Dataset, Example } from './example.js';
import { Rng } from './rng.js';

export const BUILTIN_LABELS: readonly string[] = ['negative', 'positive'];

export interface BuiltinOptions {
  seed?: number;
  trainSize?: number;
  devSize?: number;
  testSize?: number;
}

export type BuiltinKind = 'plain' | 'negated' | 'contrast';

export interface BuiltinExample extends Example {
  kind: BuiltinKind;
}

type Polarity = 0 | 1; // 0 negative, 1 positive, as label ids

// Lexicon, indexed by polarity: [negative, positive].
type ByPolarity<T> = readonly [readonly T[], readonly T[]];
type Forms = readonly [string, string];
const ADJ: ByPolarity<string> = [
  ['bad', 'awful', 'boring', 'dull', 'terrible', 'tedious', 'clumsy', 'weak', 'bland', 'messy', 'predictable',
    'lifeless', 'silly', 'forgettable', 'painful', 'flat', 'sloppy', 'tiresome', 'stale', 'annoying', 'shallow', 'confusing'],
  ['good', 'great', 'excellent', 'wonderful', 'charming', 'brilliant', 'delightful', 'moving', 'funny', 'clever',
    'gripping', 'beautiful', 'superb', 'enjoyable', 'touching', 'fresh', 'smart', 'lovely', 'engaging', 'memorable', 'solid', 'inventive'],
];
const PRED_NOUN: ByPolarity<string> = [
  ['mess', 'disaster', 'bore', 'failure', 'chore', 'letdown', 'flop', 'waste of time'],
  ['triumph', 'delight', 'gem', 'masterpiece', 'treat', 'joy', 'pleasure', 'winner'],
];
// [base, past]
const TRANSITIVE: ByPolarity<Forms> = [
  [['hate', 'hated'], ['dislike', 'disliked'], ['regret', 'regretted'], ['resent', 'resented']],
  [['love', 'loved'], ['enjoy', 'enjoyed'], ['like', 'liked'], ['admire', 'admired'], ['adore', 'adored']],
];
// [base, third person]
const INTRANSITIVE: ByPolarity<Forms> = [
  [['fail', 'fails'], ['drag', 'drags'], ['disappoint', 'disappoints'], ['fall apart', 'falls apart'], ['fizzle', 'fizzles']],
  [['work', 'works'], ['shine', 'shines'], ['soar', 'soars'], ['succeed', 'succeeds'], ['deliver', 'delivers']],
];
const SUBJECTS = ['film', 'movie', 'story', 'plot', 'script', 'cast', 'acting', 'ending', 'soundtrack', 'direction',
  'dialogue', 'performance', 'pacing', 'photography', 'humor', 'lead', 'premise', 'finale', 'sequel', 'score'];
const DETERMINERS = ['the', 'the', 'this', 'that'];
const INTENSIFIERS = ['very', 'really', 'extremely', 'truly', 'quite', 'so'];
const PREFIXES = ['', '', '', '', 'honestly,', 'overall,', 'in the end,', 'frankly,', 'all in all,'];
const SUFFIXES = ['', '', '', '', ' for me', ' from start to finish', ' in every way', ' on the whole'];

interface Clause {
  text: string;
  negated: boolean;
}

/** One clause whose meaning has polarity `p`; negated with probability `pNeg`. */
function clause(rng: Rng, p: Polarity, pNeg: number): Clause {
  const negated = rng.nextFloat() < pNeg;
  const lex = (negated ? 1 - p : p) as Polarity; // the word's own polarity
  const subj = `${rng.pick(DETERMINERS)} ${rng.pick(SUBJECTS)}`;
  const intens = rng.nextFloat() < 0.35 ? `${rng.pick(INTENSIFIERS)} ` : '';
  const past = rng.nextFloat() < 0.4;
  const be = past ? 'was' : 'is';
  let text: string;
  switch (rng.nextInt(4)) {
    case 0: {
      const neg = negated ? `${rng.pick([`${be} not`, `${be}n't`, `${be} never`])}` : be;
      text = `${subj} ${neg} ${intens}${rng.pick(ADJ[lex])}`;
      break;
    }
    case 1: {
      const it = rng.pick(['it', subj]);
      const neg = negated ? rng.pick([`${be} not`, `${be}n't`, `${be} never`]) : be;
      text = `${it} ${neg} a ${rng.pick(PRED_NOUN[lex])}`;
      break;
    }
    case 2: {
      const [base, pastForm] = rng.pick(TRANSITIVE[lex]);
      const who = rng.pick(['i', 'we']);
      const adv = intens === '' ? '' : 'really ';
      const verb = negated ? `${rng.pick(["didn't", 'did not'])} ${adv}${base}` : `${adv}${pastForm}`;
      const neverVerb = negated && rng.nextFloat() < 0.25 ? `never ${pastForm}` : verb;
      text = `${who} ${neverVerb} ${subj}`;
      break;
    }
    default: {
      const [base, third] = rng.pick(INTRANSITIVE[lex]);
      const verb = negated ? rng.pick([`does not ${base}`, `doesn't ${base}`, `never ${third}`]) : third;
      text = `${subj} ${verb}`;
      break;
    }
  }
  return { text, negated };
}

/** One sentence with the given label. */
export function generateExample(rng: Rng, label: Polarity): BuiltinExample {
  const r = rng.nextFloat();
  let body: string;
  let kind: BuiltinKind;
  if (r < 0.25) {
    // Contrast: the concessive clause usually disagrees with the main one.
    const other = (rng.nextFloat() < 0.85 ? 1 - label : label) as Polarity;
    const main = clause(rng, label, 0.25).text;
    const conceded = clause(rng, other, 0.25).text;
    const though = rng.pick(['although', 'although', 'though', 'even though']);
    switch (rng.nextInt(4)) {
      case 0: body = `${conceded} but ${main}`; break;
      case 1: body = `${conceded}, ${rng.pick(['but', 'yet'])} ${main}`; break;
      case 2: body = `${though} ${conceded}, ${main}`; break;
      default: body = `${main}, ${though} ${conceded}`; break;
    }
    kind = 'contrast';
  } else {
    const c = clause(rng, label, 0.27);
    body = c.text;
    kind = c.negated ? 'negated' : 'plain';
  }
  const prefix = rng.pick(PREFIXES);
  const sentence = `${prefix ? `${prefix} ` : ''}${body}${rng.pick(SUFFIXES)}${rng.nextFloat() < 0.85 ? '.' : '!'}`;
  return { text: sentence[0]!.toUpperCase() + sentence.slice(1), label, kind };
}

function generateSplit(rng: Rng, size: number, seen: Set<string>, what: string): BuiltinExample[] {
  // Exactly balanced labels, in a shuffled order.
  const labels = rng.shuffle(Array.from({ length: size }, (_, i) => (i % 2 === 0 ? 1 : 0) as Polarity));
  const out: BuiltinExample[] = [];
  let attempts = 0;
  for (const label of labels) {
    for (;;) {
      if (++attempts > 100 * size + 1000) {
        throw new Error(`builtinDataset: could not find ${size} distinct ${what} sentences; ask for fewer`);
      }
      const ex = generateExample(rng, label);
      if (seen.has(ex.text)) continue;
      seen.add(ex.text);
      out.push(ex);
      break;
    }
  }
  return out;
}

/** The built-in binary sentiment data set, identical for identical options. */
export function builtinDataset(options: BuiltinOptions = {}): Dataset {
  const { seed = 1, trainSize = 4000, devSize = 500, testSize = 500 } = options;
  for (const [name, v] of Object.entries({ trainSize, devSize, testSize })) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`builtinDataset: ${name} must be a non-negative integer, got ${v}`);
  }
  const base = new Rng(seed);
  const testRng = base.fork();
  const devRng = base.fork();
  const trainRng = base.fork();
  const seen = new Set<string>();
  const strip = (xs: BuiltinExample[]): Example[] => xs.map(({ text, label }) => ({ text, label }));
  const test = strip(generateSplit(testRng, testSize, seen, 'test'));
  const dev = strip(generateSplit(devRng, devSize, seen, 'dev'));
  const train = strip(generateSplit(trainRng, trainSize, seen, 'train'));
  return { train, dev, test, labels: [...BUILTIN_LABELS] };
}
