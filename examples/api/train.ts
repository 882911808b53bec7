// Train a small Highway BiLSTM through onnxruntime and use the model it writes.
//   npx tsx examples/api/train.ts [out-dir]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train, loadModel } from 'highway-onnx';

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'highway-train-'));
const result = await train({
  out,                                                       // run directory: model.onnx, checkpoints, metrics.jsonl
  model: { layers: 2, embedDim: 32, hidden: 16, carry: 'projection' },
  optimizer: { kind: 'adam' }, lr: 0.01, epochs: 2, batchSize: 32, seed: 1,   // no data given: the built-in sentiment set
  progress: false, log: () => {},
});
console.log(`dev ${(100 * result.bestDevAccuracy).toFixed(1)}%  test ${(100 * (result.testAccuracy ?? 0)).toFixed(1)}%`);

const model = await loadModel(result.modelPath);            // the self-contained model.onnx
for (const p of await model.predict(['a good movie', 'not a good movie'])) console.log(p.label, p.probs.map((v) => v.toFixed(2)));
await model.release();
