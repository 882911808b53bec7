// The browser build on WebGPU, end to end in Chromium with a WebGPU adapter — SwiftShader's
// software one (no GPU needed; a missing adapter fails these tests). The demo classifies and
// draws the gate heatmap on webgpu within 1e-5 of onnxruntime-node, 'auto' keeps to WASM on a
// software adapter, overlapping runs and a model swap mid-run are serialised, "train here" on
// webgpu gives the losses of WASM, and a lost device is a typed error. Models stay small:
// SwiftShader compiles every shader on the CPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import { startHarness, watch, type WebHarness } from '../../test/web/harness.js';

const data = builtinDataset();
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const config = resolveConfig({ kind: 'highway', layers: 2, embedDim: 16, hidden: 8, vocabSize: vocab.size, seed: 7 });
const modelBytes = encodeModel(classifierModel(config, { vocab: vocab.toJSON() }));
const other = encodeModel(classifierModel(resolveConfig({ ...config, layers: 1, seed: 8 }), { vocab: vocab.toJSON() }));
const TEXTS = [...data.dev.slice(0, 12).map((e) => e.text), '', 'zyzzyva quux'];

type Pred = { probs: number[]; label: string };
const maxDiff = (a: Pred[], b: Pred[]): number => Math.max(...a.flatMap((p, i) => p.probs.map((v, k) => Math.abs(v - b[i]!.probs[k]!))));

/** page.evaluate with a deadline, so a hang (the bug this guards against) fails instead of stalling. */
function within<T>(page: Page, ms: number, fn: string): Promise<T> {
  return page.evaluate(
    ([body, limit]) => Promise.race([
      new Function(`return (async () => { ${body} })()`)(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${limit} ms`)), limit)),
    ]),
    [fn, ms] as const,
  ) as Promise<T>;
}

describe('browser build in Chromium with a WebGPU adapter', () => {
  let h: WebHarness;
  let page: Page;
  let problems: ReturnType<typeof watch>;

  beforeAll(async () => {
    h = await startHarness({ '/models/test.onnx': modelBytes, '/models/other.onnx': other, '/models/manifest.json': new TextEncoder().encode('{"default":null}') }, 'webgpu');
    page = await h.browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watch(page, h.server.url.replace(/\/$/, ''));
    await page.goto(`${h.server.url}?model=models/test.onnx&device=webgpu&autotrain=0`);
    await page.waitForFunction("(document.body.dataset.modelState === 'ready' && document.body.dataset.predicted !== undefined) || document.body.dataset.modelState === 'error'", null, { timeout: 90_000 });
  }, 150_000);

  afterAll(async () => {
    await h?.close();
  });

  it("classifies on webgpu with the gate heatmap, within 1e-5 of onnxruntime-node; 'auto' keeps to WASM on a software adapter", async () => {
    expect(await page.evaluate('document.body.dataset.modelState'), (await page.textContent('#model-status')) ?? '').toBe('ready');
    expect(await page.textContent('#backend')).toMatch(/^onnxruntime-web · webgpu \(.*swiftshader.*, software\)/);
    expect(await page.locator('table.heatmap tbody tr').count()).toBe(config.layers);
    const inBrowser = await within<Pred[]>(page, 60_000, `return (await window.highway.predictor.predict(${JSON.stringify(TEXTS)})).map((p) => ({ probs: p.probs, label: p.label }));`);
    const node = await loadModel(modelBytes, { device: 'cpu' });
    const inNode = await node.predict(TEXTS);
    await node.release();
    const d = maxDiff(inBrowser, inNode);
    console.log(`browser webgpu: max |Δp| vs onnxruntime-node cpu = ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-5);
    expect(inBrowser.map((p) => p.label)).toEqual(inNode.map((p) => p.label));
    // One vocabulary: 'cpu' is WASM here, 'auto' never takes a software adapter, 'cuda' is Node's.
    const backends = await within<string[]>(page, 60_000, `
      const out = [];
      for (const device of ['auto', 'cpu', 'cuda']) {
        try { const p = await window.highway.loadModel('models/test.onnx', { device }); out.push(p.backend); await p.release(); }
        catch (e) { out.push(e.name + ': ' + e.message); }
      }
      return out;`);
    expect(backends.slice(0, 2)).toEqual(['wasm', 'wasm']);
    expect(backends[2]).toMatch(/^DeviceUnavailableError: device 'cuda' exists only in Node/);
    expect(problems.errors).toEqual([]);
    // Quiet by default: no onnxruntime placement warnings in the console.
    expect(problems.warnings.filter((w) => /onnxruntime|VerifyEachNode/i.test(w))).toEqual([]);
  }, 120_000);

  it('answers 20 overlapping predict() calls, and a second model loading mid-run, without hanging', async () => {
    const r = await within<{ together: Pred[][]; alone: Pred[][]; otherBackend: string }>(page, 90_000, `
      const p = window.highway.predictor;
      const texts = ${JSON.stringify(TEXTS)};
      const calls = Array.from({ length: 20 }, (_, i) => [texts[i % texts.length]]);
      const running = calls.map((t) => p.predict(t));
      // What the demo does on a model swap: load (and test-run) another model while runs are queued.
      const second = window.highway.loadModel('models/other.onnx', { device: 'webgpu' });
      const together = (await Promise.all(running)).map((ps) => ps.map((x) => ({ probs: x.probs, label: x.label })));
      const q = await second;
      await q.predict([texts[0]]);
      await q.release();
      const alone = [];
      for (const t of calls) alone.push((await p.predict(t)).map((x) => ({ probs: x.probs, label: x.label })));
      return { together, alone, otherBackend: q.backend };`);
    expect(r.otherBackend).toBe('webgpu');
    expect(r.together).toHaveLength(20);
    r.together.forEach((preds, i) => expect(maxDiff(preds, r.alone[i]!)).toBeLessThan(1e-6));
    expect(problems.errors).toEqual([]);
  }, 120_000);

  it('"train here" on webgpu takes the steps WASM takes (losses within 1e-4)', async () => {
    const opts = { maxSteps: 10, trainSize: 200, devSize: 32, evalEvery: 5, epochs: 2, model: { kind: 'highway', layers: 1, hidden: 8, embedDim: 16 } };
    const run = (device: string): Promise<{ backend: string; losses: number[] }> =>
      within(page, 150_000, `const r = await window.highway.startTraining(${JSON.stringify({ ...opts, device })}); return { backend: r.backend, losses: r.history.map((h) => h.loss) };`);
    const gpu = await run('webgpu');
    const wasm = await run('cpu');
    expect(gpu.backend).toBe('webgpu');
    expect(wasm.backend).toBe('wasm');
    expect(gpu.losses).toHaveLength(10);
    const worst = Math.max(...gpu.losses.map((l, i) => Math.abs(l - wasm.losses[i]!)));
    console.log(`browser training: webgpu vs wasm, max |Δloss| over 10 steps = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    expect(await page.textContent('#train-status')).toMatch(/^Stopped on wasm|^Trained on wasm/);
    expect(problems.errors).toEqual([]);
  }, 320_000);

  it("a lost WebGPU device is a typed error (E_DEVICE_LOST), and 'auto' then falls back to WASM", async () => {
    // Let 'auto' take this adapter as if it were hardware (adapter info patched in the page), so
    // the fall-back after the loss is what moves 'auto' to WASM, not the software adapter.
    const r = await within<{ before: string; predict: string; after: string; explicit: string }>(page, 90_000, `
      Object.defineProperty(GPUAdapter.prototype, 'info', { configurable: true, get: () => ({ vendor: 'test', architecture: 'pretend-hardware', device: '', description: '', isFallbackAdapter: false }) });
      const p = await window.highway.loadModel('models/test.onnx', { device: 'auto' });
      const before = p.backend;
      const ort = await window.highway.ortFor('webgpu');
      (await ort.env.webgpu.device).destroy();
      let predict = 'no error';
      try { await p.predict(['a gripping film']); } catch (e) { predict = e.name + ' ' + e.code + ': ' + e.message; }
      const again = await window.highway.loadModel('models/test.onnx', { device: 'auto' });
      let explicit = 'loaded';
      try { await window.highway.loadModel('models/test.onnx', { device: 'webgpu' }); } catch (e) { explicit = e.name + ' ' + e.code; }
      return { before, predict, after: again.backend, explicit };`);
    expect(r.before).toBe('webgpu');
    expect(r.predict).toMatch(/^DeviceLostError E_DEVICE_LOST: the WebGPU device was lost/);
    expect(r.after).toBe('wasm');
    expect(r.explicit).toBe('DeviceLostError E_DEVICE_LOST');
  }, 120_000);
});
