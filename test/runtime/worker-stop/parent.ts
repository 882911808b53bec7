// Runs worker.ts, stops it in the middle of a long prediction the documented way (post 'stop',
// wait for its answer, then terminate) and prints the outcome; exits 0 unless something aborts.
import { Worker } from 'node:worker_threads';
import { classifierModel } from '../../../src/models/classifier.js';
import { resolveConfig } from '../../../src/models/config.js';
import { initParams } from '../../../src/models/init.js';
import { encodeModel } from '../../../src/onnx/proto.js';
import { Vocabulary } from '../../../src/data/vocab.js';
import { tokenize } from '../../../src/data/tokenizer.js';

const base = ['a gripping film', 'not good at all', 'the plot is dull but the acting is great', 'wonderful'];
const vocab = Vocabulary.build(base.map(tokenize));
const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 8, hidden: 8, seed: 5 });
const bytes = encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() }));
const texts = Array.from({ length: 100_000 }, (_, i) => base[i % base.length]!);

// The worker is TypeScript too: boot.mjs registers tsx in the thread, then loads it.
const worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData: { bytes, texts } });
const outcome = await new Promise<string>((resolve, reject) => {
  worker.on('error', reject);
  worker.on('message', (m: { ready?: boolean; outcome?: string }) => {
    if (m.ready) setTimeout(() => worker.postMessage('stop'), 300);
    if (m.outcome) resolve(m.outcome);
  });
});
await worker.terminate();
process.stdout.write(`worker outcome: ${outcome}\n`);
