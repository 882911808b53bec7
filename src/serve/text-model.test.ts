// serve and raw-text models (issue 11 item 10): a model whose graph tokenizes (export-text
// --unicode-by-caller) is served from raw texts — over a real socket on 127.0.0.1 its answers
// equal the ids model's — and a pre-tokenized one, which would cut raw client text differently,
// is refused at start-up with one coded line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenize } from '../data/tokenizer.js';
import { rawTextModel } from '../interop/export.js';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import { ModelLoadError } from '../runtime/errors.js';
import { PredictServer } from './server.js';
import { buildCli, ROOT, runCli } from '../../test/train/cli-child.js';
import { modelBytes, predict, tinyPredictor } from '../../test/serve/helpers.js';
import { inProcessServers } from '../../test/serve/in-process.js';

const work = mkdtempSync(join(tmpdir(), 'hw-serve-text-'));
const jsDir = join(ROOT, 'test-output', `serve-text-${process.pid}`);
const servers = inProcessServers();
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(jsDir, { recursive: true, force: true });
});

const TEXTS = ["It's NOT a gripping film.", 'ｗｏｎｄｅｒｆｕｌ😍', 'the plot is dull—but the acting is “great”', '', 'poison\u00ad pill'];

describe('serve: raw-text models', () => {
  it('a graph-tokenizer model is served from raw texts and answers as the ids model does', async () => {
    const text = await loadModel(encodeModel(rawTextModel(decodeModel(modelBytes), { unicodeByCaller: true })), { device: 'cpu' });
    const { url } = await servers.start(text, { maxBatch: 4, maxWaitMs: 1 });
    const ids = await tinyPredictor();
    const expected = await ids.predict(TEXTS);
    const r = await predict(url, { texts: TEXTS });
    expect(r.status, r.body).toBe(200);
    // probs holds one probability per label, in the order of the response's labels (predict-route.ts).
    const { labels, predictions } = r.json() as { labels: string[]; predictions: { label: string; probs: number[]; tokens: number; unknown: number }[] };
    expect(labels).toEqual(ids.labels);
    expect(predictions).toHaveLength(TEXTS.length);
    predictions.forEach((p, i) => {
      expect(p.label).toBe(expected[i]!.label);
      expect(p.probs).toHaveLength(ids.labels.length);
      ids.labels.forEach((_, k) => expect(Math.abs(p.probs[k]! - expected[i]!.probs[k]!)).toBeLessThan(1e-6));
      expect(p.tokens).toBe(tokenize(TEXTS[i]!).length);
      expect(p.unknown).toBe(expected[i]!.unknown);
    });
    await ids.release();
  }, 60_000);

  it('a pre-tokenized raw-text model is refused: by the library (E_MODEL_LOAD) and by `serve` at start-up, in one line', async () => {
    const bytes = encodeModel(rawTextModel(decodeModel(modelBytes), { pretokenized: true }));
    const pre = await loadModel(bytes, { device: 'cpu' });
    expect(() => new PredictServer(pre, { log: () => undefined })).toThrow(ModelLoadError);
    await pre.release();
    const file = join(work, 'pretokenized.onnx');
    writeFileSync(file, bytes);
    const run = await runCli(buildCli(jsDir), ['serve', '--model', file, '--port', '0', '--host', '127.0.0.1'], { timeoutMs: 60_000 });
    expect(run.code).not.toBe(0);
    const lines = run.stderr.trim().split('\n').filter((l) => l.includes('E_'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\[E_MODEL_LOAD\] the model is a pre-tokenized raw-text model \(export-text --pretokenized\).*--unicode-by-caller/);
  }, 90_000);
});
