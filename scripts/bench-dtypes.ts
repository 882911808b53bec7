// `npm run bench:dtypes -- --model runs/x/model.onnx [--data DIR]`: what `export --dtype` buys.
// For fp32 / fp16 / int8: file size, load time (vetting + session + test run), test accuracy
// (evaluate() on --data's test split), and speed — sentences/s at batch 32 over that split, on
// onnxruntime-node (CPU) and onnxruntime-web (WASM, one thread, under Node). The dtypes are timed
// in interleaved rounds so machine noise hits them alike. Prints a markdown table.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import * as ortWeb from 'onnxruntime-web';
import { decodeModel, encodeModel } from '../src/onnx/proto.js';
import { quantizeModel, EXPORT_DTYPES, type ExportDType } from '../src/onnx/quantize.js';
import { loadModel } from '../src/runtime/node.js';
import { evaluate } from '../src/runtime/evaluate.js';
import { Predictor, type SessionLike, type TensorCtor } from '../src/runtime/predictor.js';
import { modelInfoFromBytes } from '../src/web/index.js';
import { readDataset } from '../src/data/files.js';
import { markdownTable, median } from './bench/stats.js';

const o = new Command('bench-dtypes')
  .requiredOption('--model <file>', 'trained model .onnx (float32)')
  .option('--data <dir>', 'data directory whose test split is scored and timed', '../shared/data/sst')
  .option('--rounds <n>', 'timed passes over the test split per dtype and runtime', (v) => Number(v), 5)
  .option('--browser', 'also time loadModel in headless Chromium (fetch, vetting, WASM session, test run)')
  .parse(process.argv)
  .opts<{ model: string; data: string; rounds: number; browser?: boolean }>();

ortWeb.env.wasm.numThreads = 1;
ortWeb.env.logLevel = 'error';
const original = await readFile(o.model);
const data = await readDataset(o.data);
const texts = data.test.map((e) => e.text);

interface Row {
  dtype: ExportDType;
  bytes: number;
  loadMs: number;
  accuracy: number;
  cpu: Predictor;
  wasm: Predictor;
  cpuTimes: number[];
  wasmTimes: number[];
}
const rows: Row[] = [];
for (const dtype of EXPORT_DTYPES) {
  const bytes = dtype === 'fp32' ? new Uint8Array(original) : encodeModel(quantizeModel(decodeModel(original), dtype));
  const t0 = performance.now();
  const cpu = await loadModel(bytes, { device: 'cpu', maxBatch: 32 });
  const loadMs = performance.now() - t0;
  const wasm = new Predictor((await ortWeb.InferenceSession.create(bytes)) as unknown as SessionLike, ortWeb.Tensor as unknown as TensorCtor, modelInfoFromBytes(bytes), { maxBatch: 32 });
  const accuracy = (await evaluate(cpu, data)).accuracy;
  const wasmAccuracy = (await evaluate(wasm, data)).accuracy;
  if (wasmAccuracy !== accuracy) process.stderr.write(`bench-dtypes: ${dtype}: WASM accuracy ${wasmAccuracy} differs from CPU ${accuracy}\n`);
  rows.push({ dtype, bytes: bytes.length, loadMs, accuracy, cpu, wasm, cpuTimes: [], wasmTimes: [] });
  process.stderr.write(`bench-dtypes: ${dtype} ready (${(bytes.length / 1e6).toFixed(2)} MB, test accuracy ${(100 * accuracy).toFixed(2)}%)\n`);
}
for (let r = 0; r < o.rounds; r++) {
  for (const row of rows) {
    let t = performance.now();
    await row.cpu.predict(texts);
    row.cpuTimes.push(performance.now() - t);
    t = performance.now();
    await row.wasm.predict(texts);
    row.wasmTimes.push(performance.now() - t);
  }
}
// Browser load: the demo build served over loopback; loadModel(url) per dtype, interleaved rounds.
const browserMs = new Map<ExportDType, number[]>();
if (o.browser) {
  const { startHarness } = await import('./web-harness.js');
  const routes: Record<string, Uint8Array> = { '/models/manifest.json': new TextEncoder().encode('{"default":null}') };
  for (const r of rows) routes[`/models/m.${r.dtype}.onnx`] = r.dtype === 'fp32' ? new Uint8Array(original) : encodeModel(quantizeModel(decodeModel(original), r.dtype));
  const h = await startHarness(routes);
  try {
    const page = await h.browser.newPage();
    await page.goto(`${h.server.url}?autotrain=0`);
    await page.waitForFunction('globalThis.highway && globalThis.highway.loadModel', null, { timeout: 60_000 });
    for (let round = 0; round < 3; round++) {
      for (const r of rows) {
        const ms = await page.evaluate(async (url) => {
          const t = performance.now();
          const m = await (globalThis as any).highway.loadModel(url, { device: 'wasm' });
          const elapsed = performance.now() - t;
          await m.session.release();
          return elapsed;
        }, `models/m.${r.dtype}.onnx`);
        browserMs.set(r.dtype, [...(browserMs.get(r.dtype) ?? []), ms]);
      }
    }
  } finally {
    await h.close();
  }
}

const fp32 = rows[0]!;
const rate = (times: number[]): number => texts.length / (median(times) / 1000);
console.log(
  markdownTable(
    ['weights', 'file size', 'load (Node)', ...(o.browser ? ['load (Chromium, WASM)'] : []), `test accuracy (${texts.length})`, 'vs fp32', 'CPU sent/s', 'WASM sent/s'],
    rows.map((r) => [
      r.dtype,
      `${(r.bytes / 1e6).toFixed(2)} MB (${((100 * r.bytes) / fp32.bytes).toFixed(0)}%)`,
      `${r.loadMs.toFixed(0)} ms`,
      ...(o.browser ? [`${median(browserMs.get(r.dtype)!).toFixed(0)} ms`] : []),
      `${(100 * r.accuracy).toFixed(2)}%`,
      `${(100 * (r.accuracy - fp32.accuracy)).toFixed(2)} points`,
      `${rate(r.cpuTimes).toFixed(0)} (${(rate(r.cpuTimes) / rate(fp32.cpuTimes)).toFixed(2)}×)`,
      `${rate(r.wasmTimes).toFixed(0)} (${(rate(r.wasmTimes) / rate(fp32.wasmTimes)).toFixed(2)}×)`,
    ]),
  ),
);
for (const r of rows) {
  await r.cpu.release();
  await r.wasm.session.release?.();
}
