// The op table: one or more small graphs per differentiable op, shared by the rule tests
// (tier 1: they build and pass the checker) and the finite-difference tests (tier 2).
// Inputs stay clear of kinks (Relu/Abs at 0, Max ties, Clip bounds) by more than ε.
import * as op from '../../src/graph/ops/index.js';
import type { Value } from '../../src/graph/index.js';
import type { CaseInput, OpCase, Rng } from '../helpers/finite-diff.js';

type Gen = (r: Rng, i: number) => number;
const away = (lo: number): Gen => (r) => (r.uniform() < 0.5 ? -1 : 1) * (lo + Math.abs(r.normal()));
const positive = (lo: number): Gen => (r) => lo + Math.abs(r.normal());
/** Values on the grid k/10 + shift: two grids with different shifts never tie. */
const grid = (shift: number): Gen => (r) => (r.int(41) - 20) / 10 + shift;
/** Distinct values in [0, 2) (no ties anywhere in the tensor; small enough not to saturate tanh). */
const distinct: Gen = (r, i) => ((i * 7919) % 97) / 50 + r.uniform() * 0.01;

const f = (name: string, dims: number[], extra: Partial<CaseInput> = {}): CaseInput => ({ name, dims, ...extra });
const ints = (name: string, dims: number[], values: number[], dtype: 'int64' | 'int32' = 'int64'): CaseInput => ({ name, dims, dtype, values });

const x1 = (fn: (x: Value) => Value | Value[], dims = [2, 3], gen?: Gen): Pick<OpCase, 'inputs' | 'build'> => ({
  inputs: [f('x', dims, gen ? { values: gen } : {})],
  build: ([x]) => fn(x!),
});

export const OP_CASES: OpCase[] = [
  { name: 'Add [2,3]+[3]', op: 'Add', inputs: [f('a', [2, 3]), f('b', [3])], build: ([a, b]) => op.add(a!, b!) },
  { name: 'Add [2,1]+[1,3]', op: 'Add', inputs: [f('a', [2, 1]), f('b', [1, 3])], build: ([a, b]) => op.add(a!, b!) },
  { name: 'Sub [2,3]-[2,1]', op: 'Sub', inputs: [f('a', [2, 3]), f('b', [2, 1])], build: ([a, b]) => op.sub(a!, b!) },
  { name: 'Mul [2,3,4]*[3,1]', op: 'Mul', inputs: [f('a', [2, 3, 4]), f('b', [3, 1])], build: ([a, b]) => op.mul(a!, b!) },
  { name: 'Mul x*x (fan-in)', op: 'Mul', ...x1((x) => op.mul(x, x)) },
  { name: 'Div [2,3]/[3]', op: 'Div', inputs: [f('a', [2, 3]), f('b', [3], { values: away(0.5) })], build: ([a, b]) => op.div(a!, b!) },
  { name: 'Neg', op: 'Neg', ...x1((x) => op.neg(x)) },
  { name: 'Pow x^3', op: 'Pow', ...x1((x) => op.pow(x, 3)) },
  { name: 'Pow x^2', op: 'Pow', ...x1((x) => op.pow(x, 2)) },
  { name: 'Pow x^0.5', op: 'Pow', ...x1((x) => op.pow(x, 0.5), [2, 3], positive(0.2)) },
  { name: 'Pow a^b (both)', op: 'Pow', inputs: [f('a', [2, 3], { values: positive(0.3) }), f('b', [3])], build: ([a, b]) => op.pow(a!, b!) },
  { name: 'Sigmoid', op: 'Sigmoid', ...x1((x) => op.sigmoid(x)) },
  { name: 'Tanh', op: 'Tanh', ...x1((x) => op.tanh(x)) },
  { name: 'Relu', op: 'Relu', ...x1((x) => op.relu(x), [3, 4], away(0.05)) },
  { name: 'Abs', op: 'Abs', ...x1((x) => op.abs(x), [3, 4], away(0.05)) },
  { name: 'Exp', op: 'Exp', ...x1((x) => op.exp(x)) },
  { name: 'Log', op: 'Log', ...x1((x) => op.log(x), [2, 3], positive(0.2)) },
  { name: 'Sqrt', op: 'Sqrt', ...x1((x) => op.sqrt(x), [2, 3], positive(0.2)) },
  { name: 'Reciprocal', op: 'Reciprocal', ...x1((x) => op.reciprocal(x), [2, 3], away(0.5)) },
  { name: 'Max [3,4] vs [4]', op: 'Max', inputs: [f('a', [3, 4], { values: grid(0) }), f('b', [4], { values: grid(0.05) })], build: ([a, b]) => op.max(a!, b!) },
  {
    name: 'Max of 3', op: 'Max',
    inputs: [f('a', [2, 3], { values: grid(0) }), f('b', [2, 3], { values: grid(0.03) }), f('c', [3], { values: grid(0.06) })],
    build: ([a, b, c], g) => g.addNode('Max', [a!, b!, c!], {}, [{ dtype: a!.dtype, shape: a!.shape }])[0]!,
  },
  { name: 'Min [3,4] vs [3,1]', op: 'Min', inputs: [f('a', [3, 4], { values: grid(0) }), f('b', [3, 1], { values: grid(0.05) })], build: ([a, b]) => op.min(a!, b!) },
  {
    name: 'Where (a [2,3], b [3])', op: 'Where',
    inputs: [ints('cond', [2, 3], [1, 0, 0, 1, 1, 0]), f('a', [2, 3]), f('b', [3])],
    build: ([c, a, b]) => op.where(op.cast(c!, 'bool'), a!, b!),
  },
  {
    name: 'Clip (x, lo, hi all wrt)', op: 'Clip',
    inputs: [f('x', [3, 4], { values: grid(0.05) }), f('lo', [], { values: [-0.5] }), f('hi', [], { values: [0.6] })],
    build: ([x, lo, hi]) => op.clip(x!, lo!, hi!),
  },
  { name: 'Sum of 3 (broadcast)', op: 'Sum', inputs: [f('a', [2, 3]), f('b', [3]), f('c', [2, 1])], build: (xs) => op.sum(xs) },
  { name: 'MatMul 2D@2D', op: 'MatMul', inputs: [f('a', [3, 4]), f('b', [4, 5])], build: ([a, b]) => op.matMul(a!, b!) },
  { name: 'MatMul 3D@2D (Gemm dW)', op: 'MatMul', inputs: [f('a', [2, 3, 4]), f('b', [4, 5])], build: ([a, b]) => op.matMul(a!, b!) },
  { name: 'MatMul [2,1,3,4]@[3,4,5]', op: 'MatMul', inputs: [f('a', [2, 1, 3, 4]), f('b', [3, 4, 5])], build: ([a, b]) => op.matMul(a!, b!) },
  { name: 'MatMul 2D@3D', op: 'MatMul', inputs: [f('a', [3, 4]), f('b', [2, 4, 5])], build: ([a, b]) => op.matMul(a!, b!) },
  { name: 'MatMul 1D@2D', op: 'MatMul', inputs: [f('a', [4]), f('b', [4, 5])], build: ([a, b]) => op.matMul(a!, b!) },
  { name: 'MatMul 1D@3D', op: 'MatMul', inputs: [f('a', [4]), f('b', [2, 4, 5])], build: ([a, b]) => op.matMul(a!, b!) },
  { name: 'MatMul 2D@1D', op: 'MatMul', inputs: [f('a', [3, 4]), f('b', [4])], build: ([a, b]) => op.matMul(a!, b!) },
  { name: 'MatMul 3D@1D', op: 'MatMul', inputs: [f('a', [2, 3, 4]), f('b', [4])], build: ([a, b]) => op.matMul(a!, b!) },
  { name: 'MatMul 1D@1D', op: 'MatMul', inputs: [f('a', [4]), f('b', [4])], build: ([a, b]) => op.matMul(a!, b!) },
  ...[false, true].flatMap((transA) => [false, true].map((transB): OpCase => ({
    name: `Gemm transA=${+transA} transB=${+transB} α,β, C [5]`, op: 'Gemm',
    inputs: [f('a', transA ? [4, 3] : [3, 4]), f('b', transB ? [5, 4] : [4, 5]), f('c', [5])],
    build: ([a, b, c]) => op.gemm(a!, b!, c!, { transA, transB, alpha: 0.7, beta: 1.3 }),
  }))),
  { name: 'Gemm no C', op: 'Gemm', inputs: [f('a', [3, 4]), f('b', [4, 5])], build: ([a, b]) => op.gemm(a!, b!, null) },
  { name: 'Gemm C [3,1]', op: 'Gemm', inputs: [f('a', [3, 4]), f('b', [4, 5]), f('c', [3, 1])], build: ([a, b, c]) => op.gemm(a!, b!, c!) },
  { name: 'Transpose [2,0,1]', op: 'Transpose', ...x1((x) => op.transpose(x, [2, 0, 1]), [2, 3, 4]) },
  { name: 'Transpose default', op: 'Transpose', ...x1((x) => op.transpose(x), [2, 3, 4]) },
  { name: 'Reshape [2,3,4]→[4,6]', op: 'Reshape', ...x1((x) => op.reshape(x, [4, -1]), [2, 3, 4]) },
  {
    name: 'Reshape symbolic [B,3]→[-1]', op: 'Reshape',
    inputs: [f('x', [2, 3], { declared: ['B', 3] })], build: ([x]) => op.reshape(x!, [-1]), outDims: [[6]],
  },
  { name: 'Flatten axis 2', op: 'Flatten', ...x1((x) => op.flatten(x, 2), [2, 3, 4]) },
  { name: 'Squeeze [2,1,3,1] axes [1,-1]', op: 'Squeeze', ...x1((x) => op.squeeze(x, [1, -1]), [2, 1, 3, 1]) },
  { name: 'Unsqueeze [2,3] axes [0,2]', op: 'Unsqueeze', ...x1((x) => op.unsqueeze(x, [0, 2]), [2, 3]) },
  { name: 'Concat axis 1 (static)', op: 'Concat', inputs: [f('a', [2, 1]), f('b', [2, 3]), f('c', [2, 2])], build: (xs) => op.concat(xs, 1) },
  {
    name: 'Concat axis 0 (symbolic)', op: 'Concat',
    inputs: [f('a', [3, 2], { declared: ['n', 2] }), f('b', [2, 2], { declared: ['m', 2] })],
    build: (xs) => op.concat(xs, 0), outDims: [[5, 2]],
  },
  { name: 'Split [2,5] → 2+3, both used', op: 'Split', ...x1((x) => op.split(x, [2, 3], 1), [2, 5]) },
  { name: 'Split, one piece unused', op: 'Split', ...x1((x) => op.split(x, [1, 3], 0)[1]!, [4, 3]) },
  { name: 'Slice static (negative start, end past end)', op: 'Slice', ...x1((x) => op.slice(x, [1, -3], [3, 1000], [0, 1]), [4, 5]) },
  {
    name: 'Slice symbolic dim [T,4] 1:-1', op: 'Slice',
    inputs: [f('x', [5, 4], { declared: ['T', 4] })], build: ([x]) => op.slice(x!, [1], [-1], [0]), outDims: [[3, 4]],
  },
  {
    name: 'Gather axis 0, duplicate ids', op: 'Gather',
    inputs: [f('emb', [5, 3]), ints('ids', [2, 3], [0, 2, 2, 4, 0, 0])], build: ([e, i]) => op.gather(e!, i!, 0),
  },
  { name: 'Gather int32 ids', op: 'Gather', inputs: [f('emb', [4, 2]), ints('ids', [3], [3, 1, 3], 'int32')], build: ([e, i]) => op.gather(e!, i!, 0) },
  { name: 'Gather scalar index', op: 'Gather', inputs: [f('emb', [4, 2]), ints('ids', [], [2])], build: ([e, i]) => op.gather(e!, i!, 0) },
  { name: 'Gather axis 1', op: 'Gather', inputs: [f('d', [2, 5, 3]), ints('ids', [2, 2], [4, 1, 1, 0])], build: ([d, i]) => op.gather(d!, i!, 1) },
  { name: 'Expand [3,1]→[2,3,4]', op: 'Expand', ...x1((x) => op.expand(x, [2, 3, 4]), [3, 1]) },
  { name: 'Identity', op: 'Identity', ...x1((x) => op.identity(x)) },
  {
    name: 'Cast f64→f32→f64', op: 'Cast', ...x1((x) => op.cast(op.cast(x, 'float32'), 'float64')),
    eps: 1e-2, tol: 1e-4,
  },
  { name: 'ReduceSum axes [1]', op: 'ReduceSum', ...x1((x) => op.reduceSum(x, [1]), [2, 3, 4]) },
  { name: 'ReduceSum axes [0,2] keepdims', op: 'ReduceSum', ...x1((x) => op.reduceSum(x, [0, 2], { keepdims: true }), [2, 3, 4]) },
  { name: 'ReduceSum all', op: 'ReduceSum', ...x1((x) => op.reduceSum(x), [2, 3]) },
  { name: 'ReduceMean axes [-1]', op: 'ReduceMean', ...x1((x) => op.reduceMean(x, [-1]), [2, 3, 4]) },
  {
    name: 'ReduceMean symbolic [B,4] axes [0]', op: 'ReduceMean',
    inputs: [f('x', [3, 4], { declared: ['B', 4] })], build: ([x]) => op.reduceMean(x!, [0]),
  },
  { name: 'ReduceSumSquare axes [1]', op: 'ReduceSumSquare', ...x1((x) => op.reduceSumSquare(x, [1]), [2, 3, 4]) },
  { name: 'ReduceMax axes [0]', op: 'ReduceMax', ...x1((x) => op.reduceMax(x, [0]), [4, 3], distinct) },
  { name: 'ReduceMax axes [1,2] keepdims', op: 'ReduceMax', ...x1((x) => op.reduceMax(x, [1, 2], { keepdims: true }), [2, 3, 4], distinct) },
  { name: 'ReduceMin axes [1]', op: 'ReduceMin', ...x1((x) => op.reduceMin(x, [1]), [3, 4], distinct) },
  { name: 'Softmax axis -1', op: 'Softmax', ...x1((x) => op.softmax(x, -1), [3, 4]) },
  { name: 'Softmax axis 0', op: 'Softmax', ...x1((x) => op.softmax(x, 0), [3, 4]) },
  { name: 'LogSoftmax axis 1', op: 'LogSoftmax', ...x1((x) => op.logSoftmax(x, 1), [3, 4]) },
  ...(['mean', 'sum', 'none'] as const).map((reduction): OpCase => ({
    name: `SoftmaxCrossEntropyLoss ${reduction}`, op: 'SoftmaxCrossEntropyLoss',
    inputs: [f('scores', [4, 3]), ints('labels', [4], [2, 0, 1, 2])],
    build: ([s, l]) => op.softmaxCrossEntropyLoss(s!, l!, { reduction })[0],
  })),
  {
    name: 'SoftmaxCrossEntropyLoss mean, weights', op: 'SoftmaxCrossEntropyLoss',
    inputs: [f('scores', [4, 3]), ints('labels', [4], [2, 0, 1, 2]), f('w', [3], { values: [0.5, 2, 1.5], wrt: false })],
    build: ([s, l, w]) => op.softmaxCrossEntropyLoss(s!, l!, { weights: w! })[0],
  },
  {
    name: 'SoftmaxCrossEntropyLoss none, weights', op: 'SoftmaxCrossEntropyLoss',
    inputs: [f('scores', [4, 3]), ints('labels', [4], [2, 0, 1, 2]), f('w', [3], { values: [0.5, 2, 1.5], wrt: false })],
    build: ([s, l, w]) => op.softmaxCrossEntropyLoss(s!, l!, { weights: w!, reduction: 'none' })[0],
  },
  {
    name: 'SoftmaxCrossEntropyLoss [N,C,d] mean', op: 'SoftmaxCrossEntropyLoss',
    inputs: [f('scores', [2, 3, 4]), ints('labels', [2, 4], [0, 1, 2, 1, 2, 2, 0, 1])],
    build: ([s, l]) => op.softmaxCrossEntropyLoss(s!, l!)[0],
  },
  {
    name: 'SoftmaxCrossEntropyLoss symbolic N, loss + log_prob', op: 'SoftmaxCrossEntropyLoss',
    inputs: [f('scores', [4, 3], { declared: ['N', 3] }), ints('labels', [4], [2, 0, 1, 2])],
    build: ([s, l]) => op.softmaxCrossEntropyLoss(s!, l!),
    outDims: [[], [4, 3]],
  },
  {
    name: 'ReverseSequence', op: 'ReverseSequence',
    inputs: [f('x', [4, 2, 3]), ints('lens', [2], [3, 4])],
    build: ([x, l]) => op.reverseSequence(x!, l!),
  },
  {
    name: 'highway gate (fan-in, composite)', op: '(composite)',
    inputs: [f('x', [3, 4]), f('wt', [4, 4]), f('bt', [4]), f('wh', [4, 4])],
    build: ([x, wt, bt, wh]) => {
      const t = op.sigmoid(op.add(op.matMul(x!, wt!), bt!));
      const h = op.tanh(op.matMul(x!, wh!));
      return op.add(op.mul(h, t), op.mul(x!, op.sub(1, t)));
    },
  },
  {
    name: 'embedding → masked max-pool over time (composite)', op: '(composite)',
    inputs: [f('emb', [6, 3], { values: distinct }), ints('ids', [2, 4], [1, 3, 5, 0, 2, 2, 4, 0]), ints('mask', [4, 2, 1], [1, 1, 1, 1, 1, 1, 0, 0])],
    build: ([e, ids, m]) => {
      const x = op.transpose(op.gather(e!, ids!), [1, 0, 2]); // [T, B, D]
      return op.tanh(op.reduceMax(op.where(op.cast(m!, 'bool'), x, -1e4), [0]));
    },
  },
];
