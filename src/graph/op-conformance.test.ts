// ONNX node tests rebuilt with our builder: for each test of an op we offer, the node is
// built with its `op.*` constructor (the test's attributes, its inputs as graph inputs or
// constants), emitted with `toModel`, run in onnxruntime and compared with the expected
// outputs. Our shape inference is checked against the dims onnxruntime produced.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Graph, op, toModel, type Value } from './index.js';
import { AttributeType, decodeModel, toNumber, type GraphProto, type NodeProto } from '../onnx/proto.js';
import { assertValidModel } from '../onnx/checker.js';
import { tensorFromProto, type DType, type Tensor } from '../onnx/tensor.js';
import {
  NODE_ROOT,
  compareOutputs,
  hasConformanceData, requireConformanceData,
  listNodeTests,
  loadCase,
  runModel,
  unsupportedReason,
  type ConformanceCase,
} from '../../test/helpers/conformance.js';

type AttrValue = number | string | number[] | string[] | Tensor | GraphProto;

interface Ctx {
  g: Graph;
  node: NodeProto;
  attrs: Record<string, AttrValue>;
  /** How constant-like inputs (shapes, repeats) enter: as graph inputs or as initializers. */
  variant: 'input' | 'const';
  /** Node input i as a graph input with the test data's dtype and static dims. */
  in(i: number): Value;
  /** Like `in`, or null where the test leaves the input out. */
  opt(i: number): Value | null;
  /** Node input i's test data as numbers (for constructors taking constant arguments). */
  ints(i: number): number[] | undefined;
  int(name: string, fallback: number): number;
  float(name: string, fallback: number): number;
}

/** Values aligned with the node's outputs (null where the test does not read that output). */
type Builder = (c: Ctx) => (Value | null)[];

interface Row {
  /** Test names this row covers. */
  tests: RegExp;
  /** ONNX op type → builder; a test whose node is another op is not this row's. */
  build: Record<string, Builder>;
  /** Attributes our constructor maps; any other attribute makes the test "not offered". */
  attrs?: string[];
  /** Number of node inputs the constructor can take. */
  maxInputs?: number;
  /** Further reason the constructor does not offer this form (null: it does). */
  notOffered?: (c: Ctx, t: ConformanceCase) => string | null;
  /** Build twice: shape-like inputs as graph inputs, then as initializers (for the nodes it says). */
  variants?: boolean | ((n: NodeProto) => boolean);
}

const DTYPE_OF: Record<number, DType> = { 1: 'float32', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 11: 'float64' };

const binary = (f: (a: Value, b: Value) => Value): Builder => (c) => [f(c.in(0), c.in(1))];
const unary = (f: (x: Value) => Value): Builder => (c) => [f(c.in(0))];
const keep = (c: Ctx): boolean => c.int('keepdims', 1) === 1;
const reduceRow = (f: (x: Value, axes: number[] | undefined, o: { keepdims: boolean }) => Value): Builder => (c) => {
  const axes = (c.attrs.axes as number[] | undefined) ?? c.ints(1);
  return [f(c.in(0), axes && axes.length > 0 ? axes : undefined, { keepdims: keep(c) })];
};

const ROWS: Row[] = [
  {
    tests: /^test_lstm_/,
    attrs: ['hidden_size', 'direction'],
    maxInputs: 8,
    build: {
      LSTM: (c) => {
        const r = op.lstm(
          { x: c.in(0), w: c.in(1), r: c.in(2), b: c.opt(3), sequenceLens: c.opt(4), initialH: c.opt(5), initialC: c.opt(6), peepholes: c.opt(7) },
          { hiddenSize: c.int('hidden_size', 0), direction: (c.attrs.direction as 'forward' | undefined) ?? 'forward' },
        );
        return [r.y, r.yH, r.yC];
      },
    },
  },
  {
    tests: /^test_gemm_/,
    attrs: ['alpha', 'beta', 'transA', 'transB'],
    build: {
      Gemm: (c) => [
        op.gemm(c.in(0), c.in(1), c.opt(2), {
          transA: c.int('transA', 0) === 1,
          transB: c.int('transB', 0) === 1,
          alpha: c.float('alpha', 1),
          beta: c.float('beta', 1),
        }),
      ],
    },
  },
  { tests: /^test_matmul_\dd$/, build: { MatMul: binary(op.matMul) } },
  {
    tests: /^test_(add|sub|mul|div|pow|equal|less|less_equal|greater|greater_equal)(_bcast|_bcast_array|_bcast_scalar|_example|_types_\w+|_uint8)?$/,
    build: {
      Add: binary(op.add),
      Sub: binary(op.sub),
      Mul: binary(op.mul),
      Div: binary(op.div),
      Pow: binary(op.pow),
      Equal: binary(op.equal),
      Less: binary(op.less),
      Greater: binary(op.greater),
      GreaterOrEqual: binary(op.greaterOrEqual),
      LessOrEqual: binary(op.lessOrEqual),
    },
  },
  { tests: /^test_(max|min)_/, maxInputs: 2, build: { Max: binary(op.max), Min: binary(op.min) }, notOffered: (c) => (c.node.input!.length !== 2 ? 'variadic form: op.max/op.min are binary' : null) },
  { tests: /^test_sum_/, build: { Sum: (c) => [op.sum(c.node.input!.map((_, i) => c.in(i)))] } },
  { tests: /^test_(and\d|and_bcast|or\d|or_bcast|not_)/, build: { And: binary(op.and), Or: binary(op.or), Not: unary(op.not) } },
  { tests: /^test_size/, build: { Size: unary(op.size) } },
  {
    tests: /^test_\w+_pad$/,
    attrs: ['mode'],
    build: { Pad: (c) => [op.padZeros(c.in(0), c.ints(1)!)] },
    notOffered: (c) =>
      (c.attrs.mode ?? 'constant') !== 'constant' ? `mode=${c.attrs.mode as string}: op.padZeros pads with zeros`
      : c.ints(2)?.some((v) => v !== 0) ? 'a non-zero pad value: op.padZeros pads with zeros'
      : null,
  },
  {
    tests: /^test_(neg|abs|sign|sigmoid|tanh|relu|exp|log|sqrt|reciprocal|identity)(_example)?$/,
    build: {
      Neg: unary(op.neg),
      Abs: unary(op.abs),
      Sign: unary(op.sign),
      Sigmoid: unary(op.sigmoid),
      Tanh: unary(op.tanh),
      Relu: unary(op.relu),
      Exp: unary(op.exp),
      Log: unary(op.log),
      Sqrt: unary(op.sqrt),
      Reciprocal: unary(op.reciprocal),
      Identity: unary(op.identity),
    },
  },
  { tests: /^test_where_/, build: { Where: (c) => [op.where(c.in(0), c.in(1), c.in(2))] } },
  {
    tests: /^test_cast_/,
    attrs: ['to'],
    build: { Cast: (c) => [op.cast(c.in(0), DTYPE_OF[c.int('to', 0)]!)] },
    notOffered: (c) => (DTYPE_OF[c.int('to', 0)] ? null : `cast to element type ${c.int('to', 0)}`),
  },
  {
    tests: /^test_clip/,
    build: { Clip: (c) => [op.clip(c.in(0), c.in(1), c.in(2))] },
    notOffered: (c) => (c.node.input!.length === 3 && c.node.input![1] && c.node.input![2] ? null : 'Clip with a missing bound: op.clip takes both'),
  },
  { tests: /^test_transpose_/, attrs: ['perm'], build: { Transpose: (c) => [op.transpose(c.in(0), c.attrs.perm as number[] | undefined)] } },
  {
    tests: /^test_reshape_/,
    variants: true,
    build: { Reshape: (c) => [op.reshape(c.in(0), c.variant === 'input' ? c.in(1) : c.ints(1)!)] },
    notOffered: (c) => (c.int('allowzero', 0) !== 0 ? 'allowzero=1: op.reshape always copies a 0 dim' : null),
  },
  { tests: /^test_concat_/, attrs: ['axis'], build: { Concat: (c) => [op.concat(c.node.input!.map((_, i) => c.in(i)), c.int('axis', 0))] } },
  {
    tests: /^test_split_/,
    attrs: ['axis'],
    variants: (n) => n.input!.length > 1,
    build: {
      Split: (c) => {
        const x = c.in(0);
        const axis = c.int('axis', 0);
        const n = c.node.output!.length;
        // Sizes computed at run time: the pieces' shapes are left for onnxruntime to tell.
        if (c.variant === 'input' && c.node.input![1]) return op.splitDynamic(x, c.in(1), axis, Array(n).fill(null));
        let sizes = c.ints(1);
        if (!sizes) {
          const d = x.staticShape().at(axis)!;
          sizes = Array(n).fill(d / n);
        }
        return op.split(x, sizes, axis);
      },
    },
  },
  {
    tests: /^test_slice/,
    build: { Slice: (c) => [op.slice(c.in(0), c.ints(1)!, c.ints(2)!, c.ints(3), c.ints(4))] },
  },
  {
    tests: /^test_(un)?squeeze/,
    attrs: ['axes'],
    build: {
      Squeeze: (c) => [op.squeeze(c.in(0), (c.attrs.axes as number[] | undefined) ?? c.ints(1)!)],
      Unsqueeze: (c) => [op.unsqueeze(c.in(0), (c.attrs.axes as number[] | undefined) ?? c.ints(1)!)],
    },
  },
  {
    tests: /^test_shape/,
    attrs: ['start', 'end'],
    build: {
      Shape: (c) => [op.shapeOf(c.in(0), { start: c.attrs.start as number | undefined, end: c.attrs.end as number | undefined })],
    },
  },
  {
    tests: /^test_expand_/,
    variants: true,
    build: { Expand: (c) => [op.expand(c.in(0), c.variant === 'input' ? c.in(1) : c.ints(1)!)] },
  },
  {
    tests: /^test_reduce_(max|min|mean|sum|sum_square)_/,
    attrs: ['axes', 'keepdims', 'noop_with_empty_axes'],
    build: {
      ReduceMax: reduceRow(op.reduceMax),
      ReduceMin: reduceRow(op.reduceMin),
      ReduceMean: reduceRow(op.reduceMean),
      ReduceSum: reduceRow(op.reduceSum),
      ReduceSumSquare: reduceRow(op.reduceSumSquare),
    },
    notOffered: (c) => (c.int('noop_with_empty_axes', 0) === 1 && (c.ints(1)?.length ?? 0) === 0 ? 'noop_with_empty_axes=1 with empty axes' : null),
  },
  {
    tests: /^test_(log)?softmax_/,
    attrs: ['axis'],
    build: { Softmax: (c) => [op.softmax(c.in(0), c.int('axis', -1))], LogSoftmax: (c) => [op.logSoftmax(c.in(0), c.int('axis', -1))] },
  },
  {
    tests: /^test_sce_/,
    attrs: ['reduction'],
    build: {
      SoftmaxCrossEntropyLoss: (c) => {
        const w = c.opt(2);
        return op.softmaxCrossEntropyLoss(c.in(0), c.in(1), {
          reduction: (c.attrs.reduction as 'mean' | undefined) ?? 'mean',
          ...(w ? { weights: w } : {}),
        });
      },
    },
  },
  {
    tests: /^test_scatternd/,
    attrs: ['reduction'],
    build: { ScatterND: (c) => [op.scatterND(c.in(0), c.in(1), c.in(2), c.attrs.reduction as 'add' | 'mul' | undefined)] },
  },
  {
    tests: /^test_gather_/,
    attrs: ['axis'],
    build: {
      Gather: (c) => [op.gather(c.in(0), c.in(1), c.int('axis', 0))],
      GatherElements: (c) => [op.gatherElements(c.in(0), c.in(1), c.int('axis', 0))],
    },
  },
  {
    tests: /^test_scan/,
    attrs: ['body', 'num_scan_inputs'],
    build: {
      // test_scan9_sum's body: sum_out = sum_in + next; scan_out = Identity(sum_out).
      Scan: (c) => {
        const body = c.attrs.body as GraphProto;
        expect(body.node!.map((n) => n.opType)).toEqual(['Add', 'Identity']);
        const r = op.scan({
          initialStates: [c.in(0)],
          scanInputs: [c.in(1)],
          body: ([sum], [next]) => {
            const s = op.add(sum!, next!);
            return { states: [s], outputs: [op.identity(s)] };
          },
        });
        return [...r.states, ...r.outputs];
      },
    },
    notOffered: (c, t) => (t.opset < 9 || c.node.input![0] === '' ? 'Scan-8 form (batch axis, sequence_lens): op.scan builds Scan-9+' : null),
  },
  { tests: /^test_range_/, build: { Range: (c) => [op.range(c.in(0), c.in(1), c.in(2))] } },
  { tests: /^test_tile/, variants: true, build: { Tile: (c) => [op.tile(c.in(0), c.variant === 'input' ? c.in(1) : c.ints(1)!)] } },
  { tests: /^test_flatten_/, attrs: ['axis'], build: { Flatten: (c) => [op.flatten(c.in(0), c.int('axis', 1))] } },
  {
    tests: /^test_constantofshape_/,
    attrs: ['value'],
    variants: true,
    build: {
      ConstantOfShape: (c) => [op.constantOfShape(c.variant === 'input' ? c.in(0) : c.g.vector(c.ints(0)!, 'int64'), c.attrs.value as Tensor)],
    },
  },
  {
    tests: /^test_argmax_/,
    attrs: ['axis', 'keepdims'],
    build: { ArgMax: (c) => [op.argMax(c.in(0), c.int('axis', 0), { keepdims: keep(c) })] },
  },
  {
    tests: /^test_reversesequence_/,
    attrs: ['time_axis', 'batch_axis'],
    build: {
      ReverseSequence: (c) => [
        op.reverseSequence(c.in(0), c.in(1), { timeAxis: c.int('time_axis', 1) as 0 | 1, batchAxis: c.int('batch_axis', 0) as 0 | 1 }),
      ],
    },
  },
  {
    tests: /^test_onehot_/,
    attrs: ['axis'],
    build: { OneHot: (c) => [op.oneHot(c.in(0), c.in(1), c.in(2), c.int('axis', -1))] },
  },
];

// --- running a row -------------------------------------------------------------------

function attrsOf(n: NodeProto): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  const dec = new TextDecoder();
  for (const a of n.attribute ?? []) {
    const k = a.name!;
    switch (a.type) {
      case AttributeType.INT: out[k] = toNumber(a.i as number); break;
      case AttributeType.FLOAT: out[k] = a.f ?? 0; break;
      case AttributeType.STRING: out[k] = dec.decode(a.s!); break;
      case AttributeType.INTS: out[k] = (a.ints ?? []).map((v) => toNumber(v as number)); break;
      case AttributeType.FLOATS: out[k] = [...(a.floats ?? [])]; break;
      case AttributeType.STRINGS: out[k] = (a.strings ?? []).map((s) => dec.decode(s)); break;
      case AttributeType.TENSOR: out[k] = tensorFromProto(a.t!); break;
      case AttributeType.GRAPH: out[k] = a.g!; break;
      default: throw new Error(`attribute ${k}: type ${a.type} not handled by this test`);
    }
  }
  return out;
}

function makeCtx(t: ConformanceCase, node: NodeProto, variant: Ctx['variant']): Ctx {
  const g = new Graph({ name: t.name });
  const made = new Map<number, Value>();
  const attrs = attrsOf(node);
  const data = (i: number): Tensor | undefined => {
    const name = node.input![i];
    return name ? t.inputs[name] : undefined;
  };
  const ctx: Ctx = {
    g,
    node,
    attrs,
    variant,
    in(i) {
      const v = ctx.opt(i);
      if (!v) throw new Error(`${t.name}: node input ${i} is absent`);
      return v;
    },
    opt(i) {
      const d = data(i);
      if (!d) return null;
      if (!made.has(i)) made.set(i, g.input(node.input![i]!, d.dtype, d.dims));
      return made.get(i)!;
    },
    ints(i) {
      const d = data(i);
      return d ? Array.from(d.data as ArrayLike<number | bigint>, (v) => Number(v)) : undefined;
    },
    int: (name, fallback) => (attrs[name] === undefined ? fallback : (attrs[name] as number)),
    float: (name, fallback) => (attrs[name] === undefined ? fallback : (attrs[name] as number)),
  };
  return ctx;
}

/** Why the row's constructor does not offer this test's form, or null. */
function notOfferedReason(row: Row, c: Ctx, t: ConformanceCase): string | null {
  const extra = Object.keys(c.attrs).filter((a) => !(row.attrs ?? []).includes(a));
  if (extra.length > 0) return `attribute${extra.length > 1 ? 's' : ''} ${extra.join(', ')} not offered by the constructor`;
  if (row.maxInputs !== undefined && c.node.input!.length > row.maxInputs) {
    return `input ${row.maxInputs} ('${c.node.input![row.maxInputs]}') not offered by the constructor`;
  }
  return row.notOffered?.(c, t) ?? null;
}

/** Dims our builder inferred that contradict what onnxruntime produced. */
function shapeDisagreement(v: Value, actual: Tensor): string | null {
  if (v.dtype !== actual.dtype) return `dtype inferred ${v.dtype}, produced ${actual.dtype}`;
  if (v.shape === null) return null;
  if (v.shape.length !== actual.dims.length || v.shape.some((d, i) => typeof d === 'number' && d !== actual.dims[i])) {
    return `shape inferred [${v.shape}], produced [${actual.dims}]`;
  }
  return null;
}

async function rebuildAndRun(row: Row, t: ConformanceCase, variant: Ctx['variant']): Promise<void> {
  const node = t.model.graph!.node![0]!;
  const c = makeCtx(t, node, variant);
  const outs = row.build[node.opType!]!(c);
  const wanted = new Set(t.outputNames);
  const named: [Value, string][] = [];
  node.output!.forEach((name, i) => {
    const v = outs[i];
    if (name && wanted.has(name)) {
      if (!v) throw new Error(`${t.name}: the builder gave no value for output ${i} '${name}'`);
      named.push([c.g.output(v, name), name]);
    }
  });
  const model = toModel(c.g, { opset: t.opset >= 13 ? t.opset : 17 });
  assertValidModel(model);
  const feeds = Object.fromEntries(c.g.inputs.map((v) => [v.name, t.inputs[v.name]!]));
  const actual = await runModel(model, feeds);
  expect(compareOutputs(actual, t.outputs)).toEqual([]);
  for (const [v, name] of named) expect(shapeDisagreement(v, actual[name]!), `${name}: builder shape inference`).toBeNull();
}

// --- the table, expanded over the node tests ---------------------------------------

interface Planned {
  name: string;
  row: Row;
  opType: string;
  variants: Ctx['variant'][];
}
interface Counts {
  /** Distinct node tests rebuilt. */
  tests: number;
  /** Builds run (a test with both variants counts twice). */
  rebuilt: number;
  passed: number;
  knownFailures: number;
  notOffered: number;
  dtypeNotRepresentable: number;
}
const perOp = new Map<string, Counts>();
const count = (opType: string): Counts => {
  if (!perOp.has(opType)) perOp.set(opType, { tests: 0, rebuilt: 0, passed: 0, knownFailures: 0, notOffered: 0, dtypeNotRepresentable: 0 });
  return perOp.get(opType)!;
};
const notOfferedList: string[] = [];

const KNOWN = (
  JSON.parse(readFileSync(new URL('../../test/onnx/ort-known-failures.json', import.meta.url), 'utf8')) as {
    failures: Record<string, { reason: string; random?: boolean }>;
  }
).failures;

function plan(): Planned[] {
  const out: Planned[] = [];
  for (const name of listNodeTests()) {
    if (name.endsWith('_expanded')) continue;
    const row = ROWS.find((r) => r.tests.test(name));
    if (!row) continue;
    const model = decodeModel(readFileSync(`${NODE_ROOT}/${name}/model.onnx`));
    const node = model.graph!.node!;
    if (node.length !== 1 || !row.build[node[0]!.opType!]) continue;
    const opType = node[0]!.opType!;
    if (unsupportedReason(model)) {
      count(opType).dtypeNotRepresentable++;
      continue;
    }
    const t = loadCase(name);
    const why = notOfferedReason(row, makeCtx(t, node[0]!, 'input'), t);
    if (why) {
      count(opType).notOffered++;
      notOfferedList.push(`${name}: ${why}`);
      continue;
    }
    const both = typeof row.variants === 'function' ? row.variants(node[0]!) : row.variants === true;
    count(opType).tests++;
    out.push({ name, row, opType, variants: both ? ['input', 'const'] : ['input'] });
  }
  return out;
}

describe('ONNX node tests rebuilt with the graph builder', () => {
  requireConformanceData();
  const planned = hasConformanceData ? plan() : [];

  afterAll(() => {
    const rows = [...perOp.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(24)} ${JSON.stringify(v)}`);
    const total = [...perOp.values()].reduce(
      (a, v) => ({ tests: a.tests + v.tests, rebuilt: a.rebuilt + v.rebuilt, passed: a.passed + v.passed, knownFailures: a.knownFailures + v.knownFailures, notOffered: a.notOffered + v.notOffered, dtypeNotRepresentable: a.dtypeNotRepresentable + v.dtypeNotRepresentable }),
      { tests: 0, rebuilt: 0, passed: 0, knownFailures: 0, notOffered: 0, dtypeNotRepresentable: 0 },
    );
    console.log(`node tests rebuilt (per op; 'tests': distinct node tests, 'rebuilt': builds run, both variants counted):\n${rows.join('\n')}\n  total ${JSON.stringify(total)}\nnot offered by our constructors:\n  ${notOfferedList.join('\n  ')}`);
  });

  it('covers the ops the brief lists', () => {
    const ops = new Set(planned.map((p) => p.opType));
    for (const o of ['LSTM', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Sigmoid', 'Tanh', 'Relu', 'Exp', 'Log', 'Sqrt', 'Transpose', 'Reshape', 'Concat', 'Split', 'Slice', 'Squeeze', 'Unsqueeze', 'Shape', 'Expand', 'Where', 'Equal', 'Less', 'Cast', 'ReduceMax', 'ReduceSum', 'ReduceMean', 'ReduceSumSquare', 'Softmax', 'LogSoftmax', 'SoftmaxCrossEntropyLoss', 'ScatterND', 'Gather', 'Identity', 'Scan', 'Clip', 'Pow', 'Range', 'Tile', 'Flatten', 'ConstantOfShape']) {
      expect(ops, o).toContain(o);
    }
    expect(planned.length).toBeGreaterThan(200);
  });

  for (const p of planned) {
    for (const variant of p.variants) {
      const title = p.variants.length > 1 ? `${p.name} (${variant === 'input' ? 'as graph inputs' : 'as initializers'})` : p.name;
      const known = KNOWN[`node/${p.name}`];
      const body = async (): Promise<void> => {
        const c = count(p.opType);
        c.rebuilt++;
        await rebuildAndRun(p.row, loadCase(p.name), variant);
        c.passed++;
      };
      if (known && !known.random) {
        // onnxruntime fails the original model too (ort-known-failures.json): ours must fail the same way.
        it.fails(`${title} — known onnxruntime failure: ${known.reason}`, async () => {
          count(p.opType).knownFailures++;
          await body();
        });
      } else it(title, body);
    }
  }
});
