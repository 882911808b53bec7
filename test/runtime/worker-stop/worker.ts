// A worker thread that predicts until told to stop: it aborts its prediction (the batch running
// finishes), releases the model, and only then says it is done, so the parent can terminate it.
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '../../../src/runtime/node.js';

const { bytes, texts } = workerData as { bytes: Uint8Array; texts: string[] };
const model = await loadModel(bytes, { device: 'cpu', maxBatch: 1 });
const controller = new AbortController();
parentPort!.on('message', (m) => {
  if (m === 'stop') controller.abort('the worker is stopping');
});
parentPort!.postMessage({ ready: true });
let outcome: string;
try {
  await model.predict(texts, { signal: controller.signal });
  outcome = 'finished';
} catch (e) {
  outcome = (e as { code?: string }).code ?? String(e);
}
await model.release();
parentPort!.postMessage({ outcome });
