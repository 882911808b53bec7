/**
 * String-tensor building blocks for the in-graph tokenizer (export-text): the few ONNX string
 * ops onnxruntime 1.30 implements in both onnxruntime-node and onnxruntime-web (WASM) —
 * `Tokenizer` (com.microsoft; RE2 with leftmost-longest matching: `tokenexp` returns the matches,
 * `separators` the text between them), `RegexFullMatch`, `StringConcat` (opset 20),
 * `ai.onnx.ml` `LabelEncoder` — plus Equal/Where/Scan over strings.
 *
 * The one primitive they lack is "rewrite a string": it is built here as
 * cut into pieces (Tokenizer) → rewrite each piece, looking at its neighbours → join (Scan of
 * StringConcat). Regular expressions follow RE2 syntax; callers write ASCII case variants out
 * (`[sS]`) rather than `(?i)`, whose Unicode case folding JavaScript's `/i` does not share.
 */
import { attr, type Graph, op, type Value } from '../graph/index.js';
import type { Tensor } from '../onnx/tensor.js';
import { broadcastShapes } from '../graph/shape.js';

let axisCount = 0;

export const MS_DOMAIN = 'com.microsoft';
export const ML_DOMAIN = 'ai.onnx.ml';

const strings = new WeakMap<Graph, Map<string, Value>>();

/** A string scalar constant (broadcasts against any string tensor); one initializer per graph and value. */
export function str(g: Graph, s: string): Value {
  let cache = strings.get(g);
  if (!cache) strings.set(g, (cache = new Map()));
  let v = cache.get(s);
  if (!v) {
    const t: Tensor<'string'> = { dtype: 'string', dims: [], data: [s] };
    cache.set(s, (v = g.constant(t, 'str')));
  }
  return v;
}

/** A string tensor of `x`'s shape holding '' everywhere. */
export function blankLike(x: Value): Value {
  const g = x.graph;
  return op.where(equalStr(x, x), str(g, ''), x);
}

/** Elementwise string equality (broadcasting) → bool. */
export function equalStr(a: Value, b: Value): Value {
  const g = a.graph.isAncestorOf(b.graph) ? b.graph : a.graph;
  return g.addNode('Equal', [a, b], {}, [{ dtype: 'bool', shape: broadcastShapes('Equal', a.shape, b.shape) }])[0]!;
}

/** a + b, elementwise with broadcasting (StringConcat, opset 20). */
export function concatStr(a: Value, b: Value): Value {
  const g = a.graph.isAncestorOf(b.graph) ? b.graph : a.graph;
  return g.addNode('StringConcat', [a, b], {}, [{ dtype: 'string', shape: broadcastShapes('StringConcat', a.shape, b.shape) }])[0]!;
}

/** True where the whole string matches the RE2 `pattern` (RegexFullMatch, opset 20). */
export function fullMatch(x: Value, pattern: string): Value {
  return x.graph.addNode('RegexFullMatch', [x], { pattern: attr.string(pattern) }, [{ dtype: 'bool', shape: x.shape }])[0]!;
}

/**
 * com.microsoft Tokenizer over x ([N] or [N, C]) → [N, K] / [N, C, K], padded with ''. `tokenexp`:
 * the leftmost-longest matches in order (unmatched text is dropped); `separators`: the text
 * between matches. The last axis always has at least `minWidth` entries (onnxruntime returns
 * width 0 when no row has a token), so later Gather/Slice never meet an empty axis.
 */
export function regexTokens(x: Value, how: { tokenexp: string } | { separators: string[] }, minWidth = 1): Value {
  const g = x.graph;
  const attrs = {
    mark: attr.int(0),
    pad_value: attr.string(''),
    mincharnum: attr.int(1),
    ...('tokenexp' in how ? { tokenexp: attr.string(how.tokenexp) } : { separators: attr.strings(how.separators) }),
  };
  const shape = x.shape ? [...x.shape, `pieces${++axisCount}`] : null;
  const [t] = g.addNode('Tokenizer', [x], attrs, [{ dtype: 'string', shape }], { domain: MS_DOMAIN });
  const pad = op.unsqueeze(blankLike(x), [-1]);
  return op.concat([t!, ...Array.from({ length: minWidth }, () => pad)], -1);
}

/** The first `n` entries of the last axis. */
export function firstColumns(x: Value, n: number): Value {
  return op.slice(x, [0], [n], [-1]);
}

/** Entry k of the last axis, that axis removed. */
export function column(x: Value, k: number): Value {
  return op.gather(x, x.graph.vector([k], 'int64', []), -1);
}

/** Pieces [B, K] shifted right along K (entry k holds piece k-1; '' at k = 0). */
export function previous(p: Value): Value {
  return op.concat([op.unsqueeze(blankLike(column(p, 0)), [-1]), op.slice(p, [0], [-1], [-1])], -1);
}

/** Pieces [B, K] shifted left along K (entry k holds piece k+1; '' at the end). */
export function following(p: Value): Value {
  return op.concat([op.slice(p, [1], [Number.MAX_SAFE_INTEGER], [-1]), op.unsqueeze(blankLike(column(p, 0)), [-1])], -1);
}

/** Most pieces a row may hold: joinPieces halves the piece axis this many times (2^24 ≈ 16.8M). */
export const JOIN_LEVELS = 24;

/**
 * Pieces [B, K] → [B]: each row's pieces concatenated in order. A tree of StringConcat
 * (neighbours joined in pairs, JOIN_LEVELS times) rather than a Scan: onnxruntime 1.30's Scan
 * mixes up a string state carried from step to step.
 */
export function joinPieces(p: Value): Value {
  const g = p.graph;
  let x = p;
  const one = g.vector([1]);
  for (let level = 0; level < JOIN_LEVELS; level++) {
    // Pad to an even width with '', then join columns 2j and 2j+1.
    const width = op.shapeOf(x, { start: 1, end: 2 });
    const even = op.mul(op.div(op.add(width, one), g.vector([2])), g.vector([2]));
    const padded = op.concat([x, op.unsqueeze(blankLike(column(x, 0)), [-1])], -1);
    const [cut] = g.addNode('Slice', [padded, g.vector([0]), even, g.vector([1])], {}, [{ dtype: 'string', shape: [x.shape?.[0] ?? 'batch', `even${++axisCount}`] }]);
    const pairs = op.reshape(cut!, [0, -1, 2]);
    x = concatStr(column(pairs, 0), column(pairs, 1));
  }
  return column(x, 0);
}

/**
 * Each string found among `keys` replaced by the matching entry of `values`; other strings kept
 * (LabelEncoder string → string, its default marked by a second, string → int64 LabelEncoder).
 */
export function replaceExact(x: Value, keys: string[], values: string[]): Value {
  const g = x.graph;
  const [mapped] = g.addNode('LabelEncoder', [x], {
    keys_strings: attr.strings(keys), values_strings: attr.strings(values), default_string: attr.string(''),
  }, [{ dtype: 'string', shape: x.shape }], { domain: ML_DOMAIN });
  const [hit] = g.addNode('LabelEncoder', [x], {
    keys_strings: attr.strings(keys), values_int64s: attr.ints(keys.map(() => 1)), default_int64: attr.int(0),
  }, [{ dtype: 'int64', shape: x.shape }], { domain: ML_DOMAIN });
  return op.where(op.cast(hit!, 'bool'), mapped!, x);
}

/** ` x ` where `cond`, else x: a piece set apart by spaces. */
export function spacedWhere(cond: Value, x: Value): Value {
  const g = x.graph;
  return op.where(cond, concatStr(concatStr(str(g, ' '), x), str(g, ' ')), x);
}

/** RE2 escape of one code point, safe inside and outside character classes. */
export function re2Char(cp: number): string {
  return /[A-Za-z0-9]/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : `\\x{${cp.toString(16)}}`;
}

/** An RE2 character class body (no brackets) for a sorted list of code points, as ranges. */
export function re2Ranges(cps: number[]): string {
  let out = '';
  for (let i = 0; i < cps.length; ) {
    let j = i;
    while (j + 1 < cps.length && cps[j + 1] === cps[j]! + 1) j++;
    out += j > i ? `${re2Char(cps[i]!)}-${re2Char(cps[j]!)}` : re2Char(cps[i]!);
    i = j + 1;
  }
  return out;
}

/** An RE2 literal for a string (every non-alphanumeric character escaped). */
export function re2Literal(s: string): string {
  return Array.from(s, (c) => re2Char(c.codePointAt(0)!)).join('');
}
