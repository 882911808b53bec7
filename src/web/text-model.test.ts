// The web entry and raw-text models (issue 11 item 10), in real Chromium (WASM): the demo page
// loads a model whose graph tokenizes (export-text --unicode-by-caller) through the web
// loadModel, which applies rule 0 in the page and checks the graph's token ids; its predictions
// on raw texts equal onnxruntime-node's ids model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { rawTextModel } from '../interop/export.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import { startHarness, watch, type WebHarness } from '../../test/web/harness.js';
import { UNICODE_CASES } from '../../test/interop/unicode-cases.js';

const data = builtinDataset();
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const config = resolveConfig({ kind: 'highway', layers: 2, embedDim: 16, hidden: 8, vocabSize: vocab.size, seed: 9 });
const idsModel = classifierModel(config, { vocab: vocab.toJSON() });
const textBytes = encodeModel(rawTextModel(idsModel, { unicodeByCaller: true }));
const TEXTS = [...data.dev.slice(0, 20).map((e) => e.text.replace(/ n't/g, "n't").toUpperCase()), ...UNICODE_CASES];

describe('web entry: raw-text models in Chromium', () => {
  let h: WebHarness;
  let page: Page;
  let problems: ReturnType<typeof watch>;
  beforeAll(async () => {
    h = await startHarness({ '/models/text.onnx': textBytes, '/models/manifest.json': new TextEncoder().encode('{"default":null}') });
    page = await h.browser.newPage();
    problems = watch(page, h.server.url.replace(/\/$/, ''));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('loads the text model and scores raw texts as the ids model does in Node', async () => {
    await page.goto(`${h.server.url}?model=models/text.onnx`);
    await page.waitForFunction("document.body.dataset.modelState === 'ready' || document.body.dataset.modelState === 'error'", null, { timeout: 60_000 });
    expect(await page.evaluate('document.body.dataset.modelState'), (await page.textContent('#model-status')) ?? '').toBe('ready');
    const got = (await page.evaluate(async (t) => {
      const p = (globalThis as any).highway.predictor;
      const preds = await p.predict(t);
      return { takesText: p.takesText, contract: p.info.textInput, preds: preds.map((x: any) => ({ probs: x.probs, tokens: x.tokens, label: x.label })) };
    }, TEXTS)) as { takesText: boolean; contract: unknown; preds: { probs: number[]; tokens: string[]; label: string }[] };
    expect(got.takesText).toBe(true);
    expect(got.contract).toEqual({ text: 'text', tokenizer: 'graph', prepare: 'unicode', maxTokens: 1000 });
    const ids = await loadModel(encodeModel(idsModel), { device: 'cpu' });
    const want = await ids.predict(TEXTS);
    await ids.release();
    let gap = 0;
    got.preds.forEach((p, i) => {
      expect(p.tokens).toEqual(want[i]!.tokens);
      expect(p.label).toBe(want[i]!.label);
      p.probs.forEach((x, k) => (gap = Math.max(gap, Math.abs(x - want[i]!.probs[k]!))));
    });
    console.log(`web raw-text model: ${TEXTS.length} texts, max |Δp| vs the Node ids model ${gap.toExponential(2)}`);
    expect(gap).toBeLessThan(1e-5);
    expect(problems.errors).toEqual([]);
  }, 120_000);
});
