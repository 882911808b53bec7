import * as ort from 'onnxruntime-node';
import { Graph, op, toModel } from '/work/main/src/graph/index.js';
import { encodeModel } from '/work/main/src/onnx/proto.js';
import { oneMinusPow } from '/work/main/src/optim/index.js';
const steps = [1,2,3,4,5,7,10,20,50,100,200,500,1000,2000,5000,1e4,3e4,1e5,1e6,1e7];
for (const beta of [0.9, 0.999, 0.99, 0.5, 0.9999]) {
  const g = new Graph();
  const t = g.input('t', 'float32', ['n']);
  g.output(oneMinusPow(beta, t)!, 'bc');
  g.output(op.sub(1, op.pow(t.graph.scalar(beta), t)), 'naive');
  const s = await ort.InferenceSession.create(encodeModel(toModel(g)));
  const r = await s.run({ t: new ort.Tensor('float32', Float32Array.from(steps), [steps.length]) });
  const bc = r.bc!.data as Float32Array, nv = r.naive!.data as Float32Array;
  let worst = 0, worstN = 0;
  steps.forEach((n, i) => { const ex = 1 - beta ** n; worst = Math.max(worst, Math.abs(bc[i]! - ex) / ex); worstN = Math.max(worstN, Math.abs(nv[i]! - ex) / ex); });
  console.log(beta, 'kahan', worst.toExponential(2), 'naive', worstN.toExponential(2));
}
