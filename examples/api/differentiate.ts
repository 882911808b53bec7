// Differentiate a graph: gradients() appends the backward nodes to the same graph.
import * as ort from 'onnxruntime-node';
import { Graph, op, toModel, encodeModel, gradients } from 'highway-onnx';

const g = new Graph({ name: 'logistic' });
const x = g.input('x', 'float32', [4, 3]);                   // [examples, features]
const t = g.input('t', 'float32', [4, 1]);                   // targets in {0, 1}
const w = g.param('w', { dtype: 'float32', dims: [3, 1], data: Float32Array.of(0.5, -0.25, 0.1) });
const p = op.sigmoid(op.matMul(x, w));                       // [4, 1]
const loss = op.reduceMean(op.mul(op.sub(p, t), op.sub(p, t)), undefined, { keepdims: false });   // scalar
const dw = gradients(g, loss, [w]).get(w)!;                  // dLoss/dw, shape of w: [3, 1]
g.output(loss, 'loss');
g.output(dw, 'dw');

const xs = Float32Array.of(1, 0, 2, 0, 1, -1, 3, 1, 0, -2, 0.5, 1);
const ts = Float32Array.of(1, 0, 1, 0);
const session = await ort.InferenceSession.create(encodeModel(toModel(g)));
const out = await session.run({ x: new ort.Tensor('float32', xs, [4, 3]), t: new ort.Tensor('float32', ts, [4, 1]) });

// The same gradient by hand: d/dw mean((p − t)²) = mean over examples of 2(p − t)·p(1 − p)·x.
const byHand = [0, 0, 0];
for (let i = 0; i < 4; i++) {
  const z = xs[3 * i]! * 0.5 + xs[3 * i + 1]! * -0.25 + xs[3 * i + 2]! * 0.1;
  const pi = 1 / (1 + Math.exp(-z));
  for (let j = 0; j < 3; j++) byHand[j]! += (2 * (pi - ts[i]!) * pi * (1 - pi) * xs[3 * i + j]!) / 4;
}
const onnx = Array.from(out.dw!.data as Float32Array);
console.log('dw (onnxruntime)', onnx.map((v) => v.toFixed(5)).join(' '));
console.log('dw (by hand)    ', byHand.map((v) => v.toFixed(5)).join(' '));
if (onnx.some((v, j) => Math.abs(v - byHand[j]!) > 1e-5)) throw new Error('gradients differ');
