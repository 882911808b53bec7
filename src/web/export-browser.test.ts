// Exported fp16/int8 models in real Chromium (Debian's, through the demo build): the browser
// entry's loadModel vets and runs them on WASM and gives onnxruntime-node's probabilities.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { quantizeModel } from '../onnx/quantize.js';
import { loadModel } from '../runtime/node.js';
import { Vocabulary } from '../data/vocab.js';
import { tokenize } from '../data/tokenizer.js';
import { startHarness, watch, type WebHarness } from '../../test/web/harness.js';

const TEXTS = ['a gripping and moving film', 'not good at all', 'the plot is dull but the acting is great', 'zyzzyva'];
const vocab = Vocabulary.build(TEXTS.map(tokenize));
const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 80, hidden: 8, seed: 4 });
const fp32 = classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() });
const models = { fp16: encodeModel(quantizeModel(fp32, 'fp16')), int8: encodeModel(quantizeModel(fp32, 'int8')) };

describe('exported models in Chromium', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await startHarness({ '/models/m.fp16.onnx': models.fp16, '/models/m.int8.onnx': models.int8, '/models/manifest.json': new TextEncoder().encode('{"default":null}') });
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it('highway-onnx/web loadModel runs fp16 and int8 exports on WASM with onnxruntime-node’s probabilities (1e-5)', async () => {
    const page = await h.browser.newPage();
    const problems = watch(page, h.server.url.replace(/\/$/, ''));
    await page.goto(`${h.server.url}?autotrain=0`); // no model, and no training in the page
    await page.waitForFunction('globalThis.highway && globalThis.highway.loadModel', null, { timeout: 60_000 });
    for (const dtype of ['fp16', 'int8'] as const) {
      const inBrowser = (await page.evaluate(
        async ([url, texts]) => {
          const m = await (globalThis as any).highway.loadModel(url, { device: 'wasm' });
          const preds = await m.predict(texts);
          return { backend: m.backend as string, probs: preds.map((p: { probs: number[] }) => p.probs) as number[][] };
        },
        [`models/m.${dtype}.onnx`, TEXTS] as const,
      )) as { backend: string; probs: number[][] };
      expect(inBrowser.backend).toBe('wasm');
      const node = await loadModel(models[dtype], { device: 'cpu' });
      const inNode = await node.predict(TEXTS);
      await node.release();
      inNode.forEach((p, i) => p.probs.forEach((x, c) => expect(Math.abs(inBrowser.probs[i]![c]! - x), `${dtype} text ${i} class ${c}`).toBeLessThan(1e-5)));
    }
    expect(problems.errors).toEqual([]);
    await page.close();
  }, 120_000);
});
