// End-to-end tests of the browser build in real Chromium (Debian's, via playwright-core):
// the demo page loads cleanly, its probabilities equal onnxruntime-node's, training in the
// browser learns the built-in task, and the page fits a phone. Screenshots go to test-output/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createNetServer } from 'node:net';
import type { Page } from 'playwright-core';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import type { Prediction } from '../runtime/predictor.js';
import { PROJECT_ROOT, webViteConfig } from '../../scripts/web-assets.js';
import { launchChromium, startHarness, watch, type WebHarness } from '../../test/web/harness.js';

const OUT = join(PROJECT_ROOT, 'test-output');
const data = builtinDataset();
// An untrained (seeded) 2-layer Highway BiLSTM with the built-in vocabulary: the model both
// runtimes are compared on.
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const config = resolveConfig({ kind: 'highway', layers: 2, embedDim: 32, hidden: 16, vocabSize: vocab.size, seed: 7 });
const modelBytes = encodeModel(classifierModel(config, { vocab: vocab.toJSON() }));
const TEXTS = [
  ...data.dev.slice(0, 30).map((e) => e.text),
  '', // empty: one <unk> step
  'zyzzyva quux', // unknown words only
  data.dev.slice(0, 12).map((e) => e.text).join(' , '), // long
];
// Training in the browser must reach this on the built-in dev split.
const TRAIN_DEV_ACCURACY = 0.9;

type Pred = Pick<Prediction, 'probs' | 'gates' | 'label'>;
const browserPredict = (page: Page, texts: string[]): Promise<Pred[]> =>
  page.evaluate(async (t) => {
    const preds = await (globalThis as any).highway.predictor.predict(t);
    return preds.map((p: Pred) => ({ probs: p.probs, gates: p.gates, label: p.label }));
  }, texts);

function maxDiff(a: Pred[], b: Pred[]): { probs: number; gates: number } {
  let probs = 0;
  let gates = 0;
  a.forEach((p, i) => {
    p.probs.forEach((v, j) => (probs = Math.max(probs, Math.abs(v - b[i]!.probs[j]!))));
    p.gates?.forEach((row, l) => row.forEach((v, t) => (gates = Math.max(gates, Math.abs(v - b[i]!.gates![l]![t]!)))));
  });
  return { probs, gates };
}

async function waitReady(page: Page): Promise<void> {
  const ready = "document.body.dataset.modelState === 'ready' && document.body.dataset.predicted !== undefined";
  await page.waitForFunction(`${ready} || document.body.dataset.modelState === 'error'`, null, { timeout: 60_000 });
  const status = await page.textContent('#model-status');
  expect(await page.evaluate('document.body.dataset.modelState'), status ?? '').toBe('ready');
}

describe('browser build in Chromium', () => {
  let h: WebHarness;
  let page: Page;
  let problems: ReturnType<typeof watch>;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    h = await startHarness({ '/models/test.onnx': modelBytes, '/models/manifest.json': new TextEncoder().encode('{"default":null}') });
    page = await h.browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    problems = watch(page, h.server.url.replace(/\/$/, ''));
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('loads the demo with no console errors and shows label, probabilities and the gate heatmap', async () => {
    await page.goto(`${h.server.url}?model=models/test.onnx`);
    await waitReady(page);
    expect(await page.textContent('#backend')).toMatch(/onnxruntime-web · wasm/);
    expect(await page.evaluate('self.crossOriginIsolated')).toBe(true);
    expect(['negative', 'positive']).toContain(await page.textContent('#label'));
    expect(await page.locator('#probs .prob').count()).toBe(2);
    const text = await page.inputValue('#text');
    const rows = page.locator('table.heatmap tbody tr');
    expect(await rows.count()).toBe(config.layers);
    // One cell per token plus the row mean.
    expect(await rows.first().locator('td').count()).toBe(tokenize(text).length + 1);
    // Typing re-classifies.
    const before = Number(await page.evaluate('document.body.dataset.predicted'));
    await page.fill('#text', 'the acting is not bad at all');
    await page.waitForFunction(`Number(document.body.dataset.predicted) > ${before}`);
    expect(await rows.first().locator('td').count()).toBe(8);
    // Headless Chromium with --disable-gpu has no WebGPU adapter: asking for it is a typed error
    // ('auto', the default, fell back to WASM above).
    const webgpu = await page.evaluate(() => (globalThis as any).highway.loadModel('models/test.onnx', { device: 'webgpu' }).then(() => 'loaded', (e: Error) => `${e.name}: ${e.message}`));
    expect(webgpu).toMatch(/^DeviceUnavailableError: device 'webgpu' is not available/);
    expect(problems.errors).toEqual([]);
  }, 60_000);

  it("gives onnxruntime-node's probabilities and gates for the same model and texts (within 1e-5)", async () => {
    const inBrowser = await browserPredict(page, TEXTS);
    const node = await loadModel(modelBytes, { device: 'cpu' });
    const inNode = await node.predict(TEXTS);
    await node.release();
    const d = maxDiff(inBrowser, inNode);
    expect(d.probs).toBeLessThan(1e-5);
    expect(d.gates).toBeLessThan(1e-5);
    expect(inBrowser.map((p) => p.label)).toEqual(inNode.map((p) => p.label));
  }, 60_000);

  it('answers 20 overlapping predict() calls on WASM, each as it would alone', async () => {
    const r = await page.evaluate(async (texts) => {
      const p = (globalThis as any).highway.predictor;
      const calls = Array.from({ length: 20 }, (_, i) => [texts[i % texts.length], texts[(i * 7) % texts.length]]);
      const together = await Promise.all(calls.map((t) => p.predict(t)));
      const alone = [];
      for (const t of calls) alone.push(await p.predict(t));
      return { together: together.map((ps: Pred[]) => ps.map((x) => ({ probs: x.probs, label: x.label }))), alone: alone.map((ps: Pred[]) => ps.map((x) => ({ probs: x.probs, label: x.label }))) };
    }, TEXTS);
    expect(r.together).toHaveLength(20);
    r.together.forEach((preds, i) => expect(maxDiff(preds, r.alone[i]!).probs).toBeLessThan(1e-6));
    expect(problems.errors).toEqual([]);
  }, 60_000);

  it('trains in a worker with onStep, onEpochEnd and an AbortSignal (the names train() takes in Node)', async () => {
    // 320 sentences, batch 32: 10 steps an epoch; the page aborts from onStep at step 14.
    const r = (await page.evaluate(`window.highway.trainWithCallbacks(${JSON.stringify({ trainSize: 320, devSize: 64, epochs: 3, model: { layers: 1, embedDim: 16, hidden: 8 } })}, 14)`)) as {
      steps: { step: number; epoch: number; loss: number }[]; epochs: { epoch: number; steps: number; devAccuracy: number | null }[];
      result: { steps: number; stopped: boolean; history: { step: number; loss: number }[] };
    };
    expect(r.result.stopped).toBe(true);
    // The stop crosses postMessage, so a few more steps may run; never the whole 30.
    expect(r.result.steps).toBeGreaterThanOrEqual(14);
    expect(r.result.steps).toBeLessThan(30);
    expect(r.steps.map((s) => s.step)).toEqual(Array.from({ length: r.result.steps }, (_, i) => i + 1));
    expect(r.steps.map((s) => s.loss)).toEqual(r.result.history.map((h) => h.loss));
    expect(r.steps[9]!.epoch).toBe(1);
    expect(r.steps[10]!.epoch).toBe(2);
    // Epoch 1 ended after step 10 with a dev evaluation; the stopped epoch 2 is reported as well.
    expect(r.epochs.map((e) => [e.epoch, e.steps])).toEqual([[1, 10], [2, r.result.steps]]);
    expect(r.epochs.every((e) => typeof e.devAccuracy === 'number')).toBe(true);
    expect(problems.errors).toEqual([]);
  }, 90_000);

  it(`trains in the browser: the loss falls, dev accuracy reaches ${100 * TRAIN_DEV_ACCURACY}%, and the downloaded model agrees with Node`, async () => {
    await page.click('#train-button');
    await page.waitForFunction("['done', 'error'].includes(document.body.dataset.trainState)", null, { timeout: 90_000 });
    const status = (await page.textContent('#train-status')) ?? '';
    expect(await page.evaluate('document.body.dataset.trainState'), status).toBe('done');
    const r = (await page.evaluate('window.highway.lastTraining')) as { firstLoss: number; lastLoss: number; bestDevAccuracy: number; steps: number; seconds: number };
    console.log(`browser training: ${r.steps} steps in ${r.seconds.toFixed(1)} s, loss ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)}, best dev accuracy ${(100 * r.bestDevAccuracy).toFixed(1)}%`);
    expect(r.lastLoss).toBeLessThan(0.5 * r.firstLoss);
    expect(r.bestDevAccuracy).toBeGreaterThanOrEqual(TRAIN_DEV_ACCURACY);

    // The page now uses the trained model; its download loads in Node and scores the same.
    await waitReady(page);
    expect(await page.textContent('#model-status')).toMatch(/^model trained here/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toMatch(/\.onnx$/);
    const path = join(OUT, 'browser-trained.onnx');
    await download.saveAs(path);
    const node = await loadModel(new Uint8Array(readFileSync(path)), { device: 'cpu' });
    const test = data.test.slice(0, 200);
    const inNode = await node.predict(test.map((e) => e.text));
    await node.release();
    const inBrowser = await browserPredict(page, test.map((e) => e.text));
    expect(maxDiff(inBrowser, inNode).probs).toBeLessThan(1e-5);
    const accuracy = inNode.filter((p, i) => p.label === data.labels[test[i]!.label]).length / test.length;
    expect(accuracy).toBeGreaterThanOrEqual(TRAIN_DEV_ACCURACY - 0.05);

    await page.fill('#text', 'the plot is not good but the acting is wonderful');
    await page.waitForFunction("document.querySelectorAll('table.heatmap tbody tr td').length > 0");
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(OUT, 'web-demo.png'), fullPage: true });
    expect(problems.errors).toEqual([]);
  }, 150_000);

  it('fits a phone-sized screen', async () => {
    const phone = await h.browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = watch(phone, h.server.url.replace(/\/$/, ''));
    await phone.goto(`${h.server.url}?model=models/test.onnx`);
    await waitReady(phone);
    // Nothing wider than the screen except inside the heatmap's own scroller.
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const box = await phone.locator('#classify-panel').boundingBox();
    expect(box!.y).toBeLessThan(300); // the classifier comes first on a phone
    await phone.screenshot({ path: join(OUT, 'web-demo-phone.png'), fullPage: true });
    expect(p.errors).toEqual([]);
    await phone.close();
  }, 60_000);
});

describe('npm run web (the Vite dev server)', () => {
  it('serves the demo, onnxruntime-web included, with no console errors', async () => {
    const port = await new Promise<number>((ok) => {
      const srv = createNetServer().listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => ok(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const { createServer, mergeConfig } = await import('vite');
    const server = await createServer(mergeConfig(webViteConfig(), { configFile: false, logLevel: 'warn', server: { port, strictPort: true, host: '127.0.0.1' } }));
    await server.listen();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const origin = `http://127.0.0.1:${port}`;
      const problems = watch(page, origin);
      // No auto-training: with no runs/default/model.onnx the page waits ('none').
      await page.goto(`${origin}/?autotrain=0`);
      await page.waitForFunction("['ready', 'none', 'error'].includes(document.body.dataset.modelState)", null, { timeout: 60_000 });
      await page.evaluate(async (bytes) => {
        await (globalThis as any).highway.useModel(new Uint8Array(bytes), 'test model');
      }, Array.from(modelBytes));
      await waitReady(page);
      expect(await page.textContent('#model-status')).toMatch(/^test model: 2-layer Highway BiLSTM/);
      expect(await page.locator('table.heatmap tbody tr').count()).toBe(2);
      expect(problems.errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 90_000);
});
