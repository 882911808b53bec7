// export-text and the tokenizer (issue 18 item 1, issue 11 item 9): the raw-text graph does
// rules 1–7 but no ONNX op does rule 0 (NFKC, invisible characters, emoji, social placeholders),
// so export-text refuses, naming it, unless told that the caller applies rule 0
// (--unicode-by-caller: recorded in the model, applied by loadModel) or that texts arrive
// pre-tokenized. Either way the text model scores raw text exactly as the ids model does
// (variants with full-width letters, soft hyphens, glued emoji included).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenizerFor } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import { buildCli, ROOT, runCli } from '../../test/train/cli-child.js';

const work = mkdtempSync(join(tmpdir(), 'hw-export-rules-'));
const jsDir = join(ROOT, 'test-output', `export-rules-${process.pid}`);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(jsDir, { recursive: true, force: true });
});

const texts = ['a wonderful , moving film 😍', "the plot is n't gripping", '<url> <user> great'];
const variants = ['ａ　ｗｏｎｄｅｒｆｕｌ, moving film😍', "The plot isn't grip\u00adping", '\u200eA wonderful film\u200f!', 'https://x.io @me GREAT'];

describe('export-text and the tokenizer rules', () => {
  const script = buildCli(jsDir);
  for (const social of [false, true]) {
    it(`${social ? 'social' : 'default'} rules: rule 0 refused by name; with --unicode-by-caller or --pretokenized, scores like the ids model`, async () => {
      const tok = tokenizerFor({ social });
      const vocab = Vocabulary.build(texts.map(tok));
      const config = resolveConfig({ layers: 1, vocabSize: vocab.size, embedDim: 6, hidden: 3, seed: 4 });
      const model = join(work, `m-${social}.onnx`);
      writeFileSync(model, encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON(), tokenizer: { social } })));
      const out = join(work, `t-${social}.onnx`);
      const refused = await runCli(script, ['export-text', '--model', model, '--out', out]);
      expect(refused.code).not.toBe(0);
      const line = refused.stderr.trim();
      expect(line.split('\n')).toHaveLength(1);
      expect(line).toMatch(/^highway-onnx: \[E_EXPORT_RULES\] the raw-text graph does the tokenizer's rules 1–7, but these have no ONNX string op: Unicode NFKC normalisation \(rule 0\); dropping invisible format characters \(rule 0\); setting emoji apart from words \(rule 0\)/);
      expect(line).toContain('--unicode-by-caller');
      expect(line.includes('social-media placeholders')).toBe(social);
      const graphOut = join(work, `g-${social}.onnx`);
      const graph = await runCli(script, ['export-text', '--model', model, '--out', graphOut, '--unicode-by-caller']);
      expect(graph.code, graph.stderr).toBe(0);
      const byGraph = await loadModel(graphOut, { device: 'cpu' });
      expect(byGraph.info.textInput).toEqual({ text: 'text', tokenizer: 'graph', prepare: 'unicode', maxTokens: 1000 });
      // A model that already takes raw text is refused in one line, naming what export-text needs.
      const again = await runCli(script, ['export-text', '--model', graphOut, '--out', join(work, `again-${social}.onnx`), '--unicode-by-caller']);
      expect(again.code).toBe(1);
      expect(again.stderr.trim()).toBe("highway-onnx: [E_EXPORT] the model already takes raw text (input 'text'): export-text needs the ids model it was made from");
      const ok = await runCli(script, ['export-text', '--model', model, '--out', out, '--pretokenized']);
      expect(ok.code, ok.stderr).toBe(0);
      const byIds = await loadModel(model, { device: 'cpu' });
      const byText = await loadModel(out, { device: 'cpu' });
      const a = await byIds.predict(variants);
      const b = await byText.predict(variants.map((v) => tok(v).join(' ')));
      const c = await byGraph.predict(variants); // raw text: loadModel applies rule 0, the graph the rest
      a.forEach((p, i) => p.probs.forEach((x, k) => expect(b[i]!.probs[k]).toBeCloseTo(x, 6)));
      a.forEach((p, i) => p.probs.forEach((x, k) => expect(c[i]!.probs[k]).toBeCloseTo(x, 6)));
      expect(a.map((p) => p.tokens)).toEqual(b.map((p) => p.tokens));
      expect(a.map((p) => p.tokens)).toEqual(c.map((p) => p.tokens));
      await byGraph.release();
      await byIds.release();
      await byText.release();
    }, 60_000);
  }
});
