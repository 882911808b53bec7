/**
 * The toolkit's tokenizer (src/data/tokenizer.ts, rules 1–7) as an ONNX graph: text [B] →
 * token ids [B, T] and lengths [B], token for token what `tokenize` + `Vocabulary.encode` give.
 * Rule 0 (NFKC, invisible characters, emoji, social placeholders) has no ONNX equivalent and is
 * the caller's part (see rawTextModel); everything after it is here.
 *
 *   text ─P1 (rule 1: curly quotes, dashes, ellipsis)─▶ ─P2 (rule 2: -LRB- …)─▶
 *        ─P3 (rules 3–4: double quotes by context, punctuation set apart)─▶
 *        chunks [B, C] (split at JavaScript's \s)
 *        ─rules 5–6 per chunk (periods, apostrophes, clitics, cannot)─▶ tokens [B, M]
 *        ─rule 7: toLowerCase (a table, final sigma by context)─▶ LabelEncoder ─▶ ids
 *
 * P1–P3 are rewrites: cut into pieces, rewrite each piece from it and its neighbours, join.
 * Rules 5–6 only ever cut a chunk after its first character or within its last five, so a
 * chunk is held as first character, middle, and its last six characters one by one: every
 * possible cut is a boundary between those atoms, and the regular expressions that decide the
 * cuts look at the whole chunk.
 */
import { attr, type Graph, op, type Value } from '../graph/index.js';
import { ABBREVIATIONS, BRACKET_ESCAPES } from '../data/tokenizer.js';
import {
  blankLike, column, concatStr, equalStr, firstColumns, following, fullMatch, joinPieces, ML_DOMAIN, previous,
  re2Char, re2Literal, re2Ranges, regexTokens, replaceExact, spacedWhere, str,
} from './string-graph.js';
import { unicodeTables } from './unicode-classes.js';

/** `word` with each ASCII letter as `[xX]`: JavaScript's `/i` without `u` folds ASCII only. */
function asciiCaseless(word: string): string {
  return Array.from(word, (c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : re2Char(c.codePointAt(0)!))).join('');
}

function caseVariants(word: string): string[] {
  let out = [''];
  for (const c of word) out = out.flatMap((p) => (/[a-z]/i.test(c) ? [p + c.toLowerCase(), p + c.toUpperCase()] : [p + c]));
  return out;
}

const cls = (chars: string): string => `[${re2Ranges([...new Set(Array.from(chars, (c) => c.codePointAt(0)!))].sort((a, b) => a - b))}]`;

/** Rule 1: single characters mapped (src/data/tokenizer.ts UNICODE_MAP). */
const RULE1: ReadonlyArray<[string, string]> = [
  ['\u2018\u201B', '`'],
  ['\u2019\u2032\u02BC', "'"],
  ['\u201C\u201E\u201F\u00AB', ' `` '],
  ['\u201D\u2033\u00BB', " '' "],
  ['\u2012\u2013\u2014\u2015', ' -- '],
  ['\u2010\u2011\u2212', '-'],
  ['\u2026', ' ... '],
];

function rule1(x: Value): Value {
  const chars = RULE1.map(([c]) => c).join('');
  const pieces = regexTokens(x, { tokenexp: `${cls(chars)}|[^${cls(chars).slice(1, -1)}]+` });
  const keys = RULE1.flatMap(([cs]) => Array.from(cs));
  const values = RULE1.flatMap(([cs, v]) => Array.from(cs, () => v));
  return joinPieces(replaceExact(pieces, keys, values));
}

function rule2(x: Value): Value {
  const names = Object.keys(BRACKET_ESCAPES).map((k) => k.slice(1, -1));
  const pieces = regexTokens(x, { tokenexp: `-(?:${names.map(asciiCaseless).join('|')})-|[^-]+|-` });
  const keys = names.flatMap((n) => caseVariants(n).map((v) => `-${v}-`));
  const values = keys.map((k) => ` ${BRACKET_ESCAPES[k.toLowerCase()]} `);
  return joinPieces(replaceExact(pieces, keys, values));
}

/** Rules 3 and 4 in one pass: both look at the text as rule 2 left it, and only add spaces. */
function rules3and4(x: Value, space: string): Value {
  const g = x.graph;
  const specials = '"`\'()[]{};$#%!?.-,:';
  const split = '``|\'\'|`|[()\\[\\]{};$#%]|[!?]+|\\.\\.+|--+'.replace(/[`'$#%;{}]/g, (c) => re2Char(c.codePointAt(0)!));
  const pieces = regexTokens(x, { tokenexp: `${re2Char(0x22)}|${split}|'|\\.|-|[,:]|[^${cls(specials).slice(1, -1)}]+` });
  const prev = previous(pieces);
  const next = following(pieces);
  // Rule 3: " opens at the start or after whitespace/an opening bracket/`, closes elsewhere.
  const opening = op.or(equalStr(prev, str(g, '')), fullMatch(prev, `(?s).*[${space}(\\[{${re2Char(0x60)}]`));
  const quote = op.where(opening, str(g, ' `` '), str(g, " '' "));
  // Rule 4: `,` and `:` stay inside a number (20,000; 2:30).
  const comma = op.and(fullMatch(pieces, '[,:]'), op.not(op.and(fullMatch(prev, '(?s).*[0-9]'), fullMatch(next, '[0-9](?s).*'))));
  const spaced = spacedWhere(op.or(fullMatch(pieces, split), comma), pieces);
  return joinPieces(op.where(equalStr(pieces, str(g, '"')), quote, spaced));
}

const ELISIONS = `'${asciiCaseless('n')}'|${asciiCaseless('ol')}'`;
const KEEP_AFTER_APOSTROPHE = `${['s', 're', 've', 'd', 'll', 'm', 'em', 'til', 'n'].map(asciiCaseless).join('|')}|[0-9][0-9]?[sS]?`;
const CLITIC2 = ["'s", "'d", "'m"].map(asciiCaseless).join('|');
const CLITIC3 = ["'re", "'ve", "'ll", "n't"].map(asciiCaseless).join('|');

/** Rules 5 and 6 on chunks [B, C] → the chunks with a space at every cut, and '`' for an opening '. */
function rules5and6(w: Value): Value {
  const g = w.graph;
  const next = following(w);
  const m = (re: string): Value => fullMatch(w, re);
  const { and, or, not } = op;
  const orAll = (vs: Value[]): Value => vs.reduce((a, b) => or(a, b));
  // Rule 5: a final period, except for abbreviations.
  const keeps = orAll([
    m('(?s).*\\..*\\.'), m('[A-Z]\\.'), m(`(?:${[...ABBREVIATIONS].map(asciiCaseless).join('|')})\\.`),
    and(m(`${asciiCaseless('no')}\\.`), fullMatch(next, '[0-9](?s).*')),
  ]);
  const P = and(and(m('(?s).+\\.'), not(m('(?s).*\\.\\.'))), not(keeps));
  const nP = not(P);
  const E = or(and(P, m(`(?:${ELISIONS})\\.`)), and(nP, m(`(?:${ELISIONS})`)));
  const nE = not(E);
  const T = and(nE, or(and(P, and(m("(?s).+'\\."), not(m("''\\.")))), and(nP, and(m("(?s).+'"), not(m("''"))))));
  const nT = not(T);
  // A test on the word once its final period / trailing apostrophe / leading ' are cut off.
  const suffixes: Array<[Value, string]> = [[and(T, P), "'\\."], [and(T, nP), "'"], [and(nT, P), '\\.'], [and(nT, nP), '']];
  const onW2 = (re: string): Value => orAll(suffixes.map(([f, s]) => and(f, m(`(?:${re})${s}`))));
  const L = and(nE, and(onW2("'(?s).+"), not(or(onW2("''"), onW2(`'(?:${KEEP_AFTER_APOSTROPHE})`)))));
  const nL = not(L);
  const onW3 = (re: string): Value =>
    orAll(suffixes.flatMap(([f, s]) => [and(and(f, L), m(`'(?:${re})${s}`)), and(and(f, nL), m(`(?:${re})${s}`))]));
  const K = and(nE, onW3(asciiCaseless('cannot')));
  const nK = not(K);
  const C2 = and(and(nE, nK), onW3(`(?s).*[a-zA-Z0-9](?:${CLITIC2})`));
  const C3 = and(and(nE, nK), onW3(`(?s).*[a-zA-Z0-9](?:${CLITIC3})`));
  const int = (b: Value): Value => op.unsqueeze(op.cast(b, 'int64'), [-1]);
  const e = op.add(int(P), int(T)); // characters cut off the end: [B, C, 1]
  const s = op.add(op.mul(int(or(K, C3)), g.scalar(3, 'int64')), op.mul(int(C2), g.scalar(2, 'int64')));
  // Atoms: first character, middle, last six characters right-aligned ('' where the chunk is shorter).
  const c0 = column(regexTokens(w, { tokenexp: '(?s)^.' }), 0);
  const rest = column(regexTokens(w, { separators: ['(?s)^.'] }), 0);
  const tail = column(regexTokens(rest, { tokenexp: '(?s).{1,6}$' }), 0);
  const mid = column(regexTokens(rest, { separators: ['(?s).{1,6}$'] }), 0);
  const chars = firstColumns(regexTokens(tail, { tokenexp: '.' }, 6), 6);
  const n = op.reduceSum(op.cast(not(equalStr(chars, str(g, ''))), 'int64'), [-1], { keepdims: true });
  const padded = op.concat([blankLike(chars), chars], -1);
  const right = op.gatherElements(padded, op.add(n, g.vector([0, 1, 2, 3, 4, 5])), 2);
  const d = g.vector([6, 5, 4, 3, 2, 1]); // distance of each slot from the chunk's end
  const cut = orAll([
    and(op.greater(e, g.scalar(0, 'int64')), op.equal(d, e)),
    and(op.unsqueeze(and(T, P), [-1]), op.equal(d, g.scalar(1, 'int64'))),
    and(op.unsqueeze(or(K, or(C2, C3)), [-1]), op.equal(d, op.add(e, s))),
  ]);
  const slots = op.where(cut, concatStr(str(g, ' '), right), right);
  let out = concatStr(op.where(L, str(g, '` '), c0), mid);
  for (let k = 0; k < 6; k++) out = concatStr(out, column(slots, k));
  return out;
}

/** Rule 7: `toLowerCase()` of each token [N] — a table, plus Σ → ς at a word's end (Final_Sigma). */
function lowerCase(x: Value): Value {
  const g = x.graph;
  const t = unicodeTables();
  const pieces = regexTokens(x, { tokenexp: `[${t.lower.classBody}]|[^${t.lower.classBody}]+` });
  const mapped = replaceExact(pieces, t.lower.upper, t.lower.lower);
  // Σ is final when the nearest non-ignorable character before it is cased and the nearest after is not.
  const columns = op.transpose(pieces, [1, 0]);
  const none = op.not(equalStr(column(pieces, 0), column(pieces, 0)));
  const casedNext = (reverse: boolean): Value => {
    const { outputs } = op.scan({
      name: reverse ? 'sigma_after' : 'sigma_before',
      initialStates: [none],
      scanInputs: [columns],
      ...(reverse ? { scanInputDirections: [1], scanOutputDirections: [1] } : {}),
      body: ([state], [piece]) => {
        const ignorable = fullMatch(piece!, `[${t.caseIgnorable}]*`);
        const cased = fullMatch(piece!, reverse ? `[${t.caseIgnorable}]*[${t.casedNotIgnorable}](?s).*` : `(?s).*[${t.casedNotIgnorable}][${t.caseIgnorable}]*`);
        // (Where has no bool kernel in onnxruntime: And/Or instead.)
        return { states: [op.or(op.and(ignorable, state!), op.and(op.not(ignorable), cased))], outputs: [op.identity(state!)] };
      },
    });
    return op.transpose(outputs[0]!, [1, 0]);
  };
  const final = op.and(casedNext(false), op.not(casedNext(true)));
  const sigma = op.where(final, str(g, '\u03C2'), str(g, '\u03C3'));
  return joinPieces(op.where(equalStr(pieces, str(g, '\u03A3')), sigma, mapped));
}

/**
 * The tokenizer graph: `text` (string [B], already through rule 0) → `ids` (int64 [B, T], token
 * ids left-aligned, padded with `unk`) and `lengths` (int32 [B], at least 1: an empty text is one
 * `<unk>`, as the Predictor pads it). `vocab` in id order; unknown tokens → `unk`. `maxTokens`
 * (int64 scalar): keep only each text's first maxTokens tokens.
 */
export function tokenizerGraph(text: Value, vocab: string[], unk: number, maxTokens?: Value): { ids: Value; lengths: Value } {
  const g: Graph = text.graph;
  const { space } = unicodeTables();
  const ruled = rules3and4(rule2(rule1(text)), space);
  const chunks = regexTokens(ruled, { tokenexp: `[^${space}]+` });
  const cut = rules5and6(chunks);
  const slots = op.reshape(regexTokens(cut, { tokenexp: '[^ ]+' }), [0, -1]);
  // Left-align the tokens: '' slots (a chunk yields 1–5 tokens) sort after every token, order kept.
  const valid = op.not(equalStr(slots, str(g, '')));
  const width = op.shapeOf(slots, { start: 1, end: 2 });
  const pos = op.range(g.scalar(0, 'int64'), op.reshape(width, []), g.scalar(1, 'int64'));
  const key = op.where(valid, pos, op.add(pos, op.reshape(width, [])));
  const [, order] = g.addNode('TopK', [key, width], { axis: attr.int(1), largest: attr.int(0), sorted: attr.int(1) },
    [{ dtype: 'int64', shape: ['batch', 'slots'] }, { dtype: 'int64', shape: ['batch', 'slots'] }]);
  const all = op.reduceSum(op.cast(valid, 'int64'), [1]);
  // A text is scored on its first maxTokens tokens, as the Predictor truncates an ids model's input.
  const count = maxTokens ? op.min(all, maxTokens) : all;
  const steps = op.max(op.reduceMax(count, [0], { keepdims: true }), g.vector([1]));
  const [tokens] = g.addNode('Slice', [op.gatherElements(slots, order!, 1), g.vector([0]), steps, g.vector([1])], {}, [{ dtype: 'string', shape: ['batch', 'time'] }]);
  const lower = op.reshape(lowerCase(op.reshape(tokens!, [-1])), op.shapeOf(tokens!));
  const entries = vocab.flatMap((v, i): Array<[string, number]> => (v === '' ? [] : [[v, i]]));
  // '' (padding after a text's last token, or an empty text's one step) → <unk>: masked by the lengths.
  const [ids] = g.addNode('LabelEncoder', [lower], {
    keys_strings: attr.strings(entries.map(([v]) => v)),
    values_int64s: attr.ints(entries.map(([, i]) => i)),
    default_int64: attr.int(unk),
  }, [{ dtype: 'int64', shape: ['batch', 'time'] }], { domain: ML_DOMAIN });
  const lengths = op.cast(op.max(count, g.scalar(1, 'int64')), 'int32');
  return { ids: ids!, lengths };
}
