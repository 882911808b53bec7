// Load a highway-onnx model and score texts in Node.
//   npx tsx examples/node-inference.ts [model.onnx] [texts...]
// With no model given it uses runs/default/model.onnx (written by `npm start`).
import { loadModel } from 'highway-onnx';

export async function main(args: string[]): Promise<string[]> {
  const [modelPath = 'runs/default/model.onnx', ...texts] = args;
  const model = await loadModel(modelPath, { device: 'auto' });
  const inputs = texts.length > 0 ? texts : ['a warm , funny and moving film', 'dull , tedious and not worth it'];
  const lines = (await model.predict(inputs)).map(
    (p, i) => `${p.label}\t${p.probs.map((x) => x.toFixed(3)).join(' ')}\t${inputs[i]}`,
  );
  await model.release();
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await main(process.argv.slice(2))) console.log(line);
}
