// `npm start`: the main job. Trains a 2-layer Highway BiLSTM (built-in data unless --data
// is given), reports dev/test accuracy, scores a few sentences with the saved model.onnx.
import { Command } from 'commander';
import { RunExistsError, train } from '../src/train/index.js';
import { loadModel } from '../src/runtime/node.js';
import { DEFAULT_CONFIG } from '../src/models/config.js';
import { TRAIN_DEFAULTS } from '../src/train/options.js';

const o = new Command('start')
  .option('--data <dir>', 'data directory (default: the built-in data set)')
  .option('--out <dir>', 'output directory', 'runs/default')
  .option('--layers <n>', 'layers', (v) => Number(v), DEFAULT_CONFIG.layers)
  .option('--epochs <n>', 'epochs', (v) => Number(v), 0)
  .option('--no-progress', 'no progress bar')
  .option('--force', 'replace the run already in --out')
  .parse(process.argv)
  .opts<{ data?: string; out: string; layers: number; epochs: number; progress: boolean; force?: boolean }>();

const epochs = o.epochs || (o.data ? 8 : 6);
const t0 = performance.now();
console.log(`highway-onnx: training a ${o.layers}-layer Highway BiLSTM on ${o.data ?? 'the built-in sentiment data'} (${epochs} epochs max) → ${o.out}`);
const result = await train({
  out: o.out,
  force: o.force ?? false,
  ...(o.data ? { data: o.data } : {}),
  model: { kind: 'highway', layers: o.layers }, // embedDim, hidden, dropout: DEFAULT_CONFIG (models/config.ts)
  epochs,
  patience: TRAIN_DEFAULTS.patience,
  progress: o.progress,
  log: (line) => console.log(`  ${line}`),
}).catch((e: unknown) => {
  // A second `npm start` must not silently replace the model the web demo serves.
  if (!(e instanceof RunExistsError)) throw e;
  console.error(`highway-onnx: [${e.code}] ${o.out} already holds a trained model: \`npm start -- --force\` trains it again, \`--out DIR\` elsewhere`);
  process.exit(1);
});
const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
console.log(`\nbest dev accuracy ${pct(result.bestDevAccuracy)} (epoch ${result.bestEpoch}); test accuracy ${pct(result.testAccuracy)}`);
console.log(`model: ${result.modelPath}  (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);

const predictor = await loadModel(result.modelPath, { device: 'cpu' });
// Sentences in the built-in data's vocabulary (the SST vocabulary is far larger): plain,
// negated and contrastive, the cases where word order and direction matter.
const samples = o.data
  ? ['a gripping , beautifully acted film', 'the plot is dull and the acting is not good', 'not bad at all , actually quite wonderful', 'it looked promising but it was a tedious mess']
  : ['the soundtrack was a delight from start to finish', 'the plot is not gripping', 'the acting was weak , but the story was truly moving', 'although the cast was charming , the script was a chore'];
for (const [i, p] of (await predictor.predict(samples)).entries()) {
  console.log(`${p.label.padEnd(9)} ${(100 * Math.max(...p.probs)).toFixed(1).padStart(5)}%  ${samples[i]}`);
}
await predictor.release();
console.log(`\nnext: npx highway-onnx predict --model ${result.modelPath} "your text here"`);
