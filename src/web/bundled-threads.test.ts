// A consumer's app, bundled by Vite, using only `highway-onnx/web` with no onnxruntime settings
// (no wasmPaths, no copied runtime files), served cross-origin isolated (COOP/COEP), in a Chromium
// told it has 8 cores: onnxruntime-web then runs 4 WASM threads (issue 18 item 8, issue 13 item 3).
// The app is built as one bundle (`codeSplitting: false`), so onnxruntime-web's runtime shares its
// chunk with the app's code: before the fix its thread workers loaded that chunk, died with
// `document is not defined` and loadModel() never settled. Both onnxruntime-web builds (WASM, and
// WebGPU on SwiftShader) are checked. Built once for the whole file.
import { mkdtemp, rename, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import { nodeStepRuntime } from '../train/node-runtime.js';
import { trainInBrowser } from './index.js';
import { PROJECT_ROOT } from '../../scripts/web-assets.js';
import { serveStatic, type StaticServer } from '../../scripts/web-serve.js';
import { launchChromium } from '../../test/web/harness.js';

const CORES = 8;
const THREADS = 4; // defaultWasmThreads(): hardwareConcurrency capped at MAX_WASM_THREADS
const data = builtinDataset();
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const config = resolveConfig({ kind: 'highway', layers: 2, embedDim: 16, hidden: 8, vocabSize: vocab.size, seed: 3 });
const modelBytes = encodeModel(classifierModel(config, { vocab: vocab.toJSON() }));
const TEXTS = data.dev.slice(0, 8).map((e) => e.text);
const TRAIN = { trainSize: 96, devSize: 32, maxSteps: 6, device: 'cpu', model: { layers: 1, embedDim: 16, hidden: 8 } } as const;

// The consumer app: what a user writes. Results go to window.result (the test reads them).
const APP: Record<string, string> = {
  'index.html': '<!doctype html><html><head><meta charset="utf-8"><title>consumer</title></head><body><pre id="out"></pre><script type="module" src="./main.js"></script></body></html>',
  'main.js': `import { loadModel, trainInWorker } from 'highway-onnx/web';
const report = (r) => { window.result = r; document.getElementById('out').textContent = JSON.stringify(r); };
window.predict = async ({ texts, device }) => {
  try {
    const model = await loadModel('model.onnx', { device });
    const preds = await model.predict(texts);
    report({ ok: true, threads: model.threads, backend: model.backend, probs: preds.map((p) => p.probs) });
  } catch (e) { report({ ok: false, code: e.code, message: e.message }); }
};
window.train = async (options) => {
  const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  try {
    const r = await trainInWorker(worker, options, {}).result;
    report({ ok: true, steps: r.steps, losses: r.history.map((h) => h.loss) });
  } catch (e) { report({ ok: false, message: e.message }); }
  worker.terminate();
};
window.ready = true;
`,
  'train-worker.js': "import { serveTraining } from 'highway-onnx/web';\nserveTraining(self);\n",
};

async function buildApp(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'hw-consumer-web-'));
  await Promise.all(Object.entries(APP).map(([name, text]) => writeFile(join(root, name), text)));
  const { build } = await import('vite');
  await build({
    configFile: false, root, base: './', logLevel: 'error',
    build: { outDir: join(root, 'dist'), emptyOutDir: true, target: 'es2022', rolldownOptions: { output: { codeSplitting: false } } },
    worker: { format: 'es' },
    // The package by name, from this workspace's source (what `npm pack` ships, before tsc).
    resolve: { alias: { 'highway-onnx/web': join(PROJECT_ROOT, 'src/web/index.ts') } },
  });
  return root;
}

interface Opened {
  page: Page;
  errors: string[];
  workers: string[];
}

/** A fresh page of the app with navigator.hardwareConcurrency = CORES (before any script runs). */
async function open(browser: Browser, server: StaticServer): Promise<Opened> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const workers: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/favicon|404 \(Not Found\)/.test(m.text()) && errors.push(m.text()));
  page.on('worker', (w) => workers.push(w.url()));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setHardwareConcurrencyOverride', { hardwareConcurrency: CORES });
  await page.goto(server.url);
  await page.waitForFunction('window.ready === true');
  return { page, errors, workers };
}

async function result<T>(page: Page, call: string, arg: unknown): Promise<T> {
  await page.evaluate(([c, a]) => void (window as unknown as Record<string, (x: unknown) => Promise<void>>)[c as string]!(a), [call, arg] as const);
  await page.waitForFunction('window.result !== undefined', null, { timeout: 60_000 });
  return (await page.evaluate('window.result')) as T;
}

describe('a Vite-bundled consumer app with WASM threads', () => {
  let root = '';
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    root = await buildApp();
    server = await serveStatic(join(root, 'dist'), { routes: { '/model.onnx': modelBytes } });
    browser = await launchChromium('wasm');
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it(`predicts on ${THREADS} threads, with onnxruntime-node's probabilities (within 1e-5)`, async () => {
    const { page, errors, workers } = await open(browser, server);
    expect(await page.evaluate('self.crossOriginIsolated && navigator.hardwareConcurrency')).toBe(CORES);
    const r = await result<{ ok: boolean; threads: number; probs: number[][]; message?: string }>(page, 'predict', { texts: TEXTS, device: 'cpu' });
    expect(r.ok, r.message).toBe(true);
    expect(r.threads).toBe(THREADS);
    // The runtime starts threads - 1 workers, from our thread entry, not from the app's bundle.
    expect(workers.filter((u) => /\/ort-thread-wasm-[\w-]+\.js$/.test(u))).toHaveLength(THREADS - 1);
    const node = await loadModel(modelBytes, { device: 'cpu' });
    const expected = (await node.predict(TEXTS)).map((p) => p.probs);
    await node.release();
    r.probs.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - expected[i]![j]!)).toBeLessThan(1e-5)));
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it(`trains in a worker on ${THREADS} threads, step for step as onnxruntime-node (loss within 1e-4)`, async () => {
    const { page, errors, workers } = await open(browser, server);
    const r = await result<{ ok: boolean; steps: number; losses: number[]; message?: string }>(page, 'train', TRAIN);
    expect(r.ok, r.message).toBe(true);
    expect(r.steps).toBe(TRAIN.maxSteps);
    expect(workers.filter((u) => /\/ort-thread-wasm-[\w-]+\.js$/.test(u))).toHaveLength(THREADS - 1);
    const node = await trainInBrowser({ ...TRAIN, runtime: nodeStepRuntime({ device: 'cpu' }) });
    const expected = node.history.map((h) => h.loss);
    expect(r.losses).toHaveLength(expected.length);
    r.losses.forEach((l, i) => expect(Math.abs(l - expected[i]!), `step ${i + 1}`).toBeLessThan(1e-4));
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it(`predicts on WebGPU (SwiftShader) with the WebGPU build's ${THREADS} threads started from its own entry`, async () => {
    const gpu = await launchChromium('webgpu');
    try {
      const { page, errors, workers } = await open(gpu, server);
      const r = await result<{ ok: boolean; threads: number; backend: string; probs: number[][]; message?: string }>(page, 'predict', { texts: TEXTS, device: 'webgpu' });
      expect(r.ok, r.message).toBe(true);
      expect([r.backend, r.threads]).toEqual(['webgpu', THREADS]);
      expect(workers.filter((u) => /\/ort-thread-webgpu-[\w-]+\.js$/.test(u))).toHaveLength(THREADS - 1);
      const node = await loadModel(modelBytes, { device: 'cpu' });
      const expected = (await node.predict(TEXTS)).map((p) => p.probs);
      await node.release();
      r.probs.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - expected[i]![j]!)).toBeLessThan(1e-5)));
      expect(errors).toEqual([]);
    } finally {
      await gpu.close();
    }
  }, 90_000);

  it('fails fast with E_WASM_THREADS when the thread entry cannot be loaded', async () => {
    const assets = join(root, 'dist', 'assets');
    const entry = (await readdir(assets)).find((f) => /^ort-thread-wasm-[\w-]+\.js$/.test(f))!;
    await rename(join(assets, entry), join(assets, `${entry}.gone`));
    try {
      const { page } = await open(browser, server);
      const t0 = Date.now();
      const r = await result<{ ok: boolean; code?: string; message?: string }>(page, 'predict', { texts: TEXTS, device: 'cpu' });
      expect(r.ok).toBe(false);
      expect(r.code).toBe('E_WASM_THREADS');
      expect(r.message).toMatch(/WASM thread worker \(.*\) failed to start: .*numThreads: 1/);
      expect(Date.now() - t0).toBeLessThan(30_000); // not THREAD_START_TIMEOUT_MS: the 404 is seen at once
      await page.close();
    } finally {
      await rename(join(assets, `${entry}.gone`), join(assets, entry));
    }
  }, 90_000);
});
