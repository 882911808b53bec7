// Teach autodiff an op it has no rule for. Softplus(x) = ln(1 + eˣ) is standard ai.onnx, so
// onnxruntime runs it, but the built-in table (GRADIENTS) has no rule: gradients() refuses it
// with E_NO_GRADIENT until one is registered. A rule maps dLoss/dOutput to dLoss/dInput.
import * as ort from 'onnxruntime-node';
import { Graph, op, toModel, encodeModel, gradients, registerGradient, GRADIENTS } from 'highway-onnx';

console.log('built-in rule for Softplus:', 'Softplus' in GRADIENTS);
registerGradient('Softplus', ({ node, gradOutputs: [dy], needsInputGrad: [needX] }) =>
  [needX ? op.mul(dy!, op.sigmoid(node.inputs[0]!)) : null]);   // softplus'(x) = σ(x)

const g = new Graph({ name: 'softplus' });
const x = g.input('x', 'float32', [3]);
const [y] = g.addNode('Softplus', [x], {}, [{ dtype: 'float32', shape: [3] }]);  // any ai.onnx op
const loss = op.reduceSum(y!, undefined, { keepdims: false });
g.output(gradients(g, loss, [x]).get(x)!, 'dx');

const session = await ort.InferenceSession.create(encodeModel(toModel(g)));
const { dx } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-2, 0, 3), [3]) });
const got = Array.from(dx!.data as Float32Array);
const want = [-2, 0, 3].map((v) => 1 / (1 + Math.exp(-v)));
console.log('dx', got.map((v) => v.toFixed(4)).join(' '), '= σ(x)', want.map((v) => v.toFixed(4)).join(' '));
if (got.some((v, i) => Math.abs(v - want[i]!) > 1e-6)) throw new Error('the registered rule gave a wrong gradient');
