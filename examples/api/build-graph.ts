// Build a graph with the typed builder, emit ONNX, run it in onnxruntime-node.
import * as ort from 'onnxruntime-node';
import { Graph, op, toModel, encodeModel, GraphBuildError } from 'highway-onnx';

const g = new Graph({ name: 'dense' });
const x = g.input('x', 'float32', ['batch', 3]);            // [batch, features]
const w = g.param('w', { dtype: 'float32', dims: [3, 2], data: Float32Array.of(1, 0, 0, 1, 1, 1) });
const y = g.scope('layer1', () => op.sigmoid(op.matMul(x, w)));   // nodes named layer1/…
g.output(y, 'y');

// Shapes are checked as each node is created, not when onnxruntime loads the file.
try {
  op.matMul(w, w);                                           // [3,2] × [3,2]: 2 ≠ 3
} catch (e) {
  if (!(e instanceof GraphBuildError)) throw e;
  console.log('refused:', e.code, e.message);
}

const session = await ort.InferenceSession.create(encodeModel(toModel(g)));
const { y: out } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(0, 0, 0, 1, 2, 3), [2, 3]) });
console.log('y', out!.dims, Array.from(out!.data as Float32Array, (v) => v.toFixed(3)).join(' '));
