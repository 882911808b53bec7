// export-text and the tokenizer (issue 18 item 1): the raw-text graph can only lower-case and
// split on spaces, so export-text refuses, naming the rules ONNX string ops cannot express,
// unless told that texts arrive pre-tokenized; then the graph scores tokenize(text).join(' ')
// exactly as the ids model scores the raw text (variants with full-width letters, soft hyphens,
// glued emoji included).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenizerFor } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { initParams } from '../../src/models/init.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { loadModel } from '../../src/runtime/node.js';
import { buildCli, ROOT, runCli } from '../train/cli-child.js';

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
    it(`${social ? 'social' : 'default'} rules: refused by name without --pretokenized; with it, scores like the ids model`, async () => {
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
      expect(line).toMatch(/^highway-onnx: \[E_EXPORT_RULES\] the raw-text graph can only lower-case and split on spaces; these tokenizer rules have no ONNX string op: Unicode NFKC normalisation \(rule 0\); dropping invisible format characters/);
      expect(line.includes('social-media placeholders')).toBe(social);
      const ok = await runCli(script, ['export-text', '--model', model, '--out', out, '--pretokenized']);
      expect(ok.code, ok.stderr).toBe(0);
      const byIds = await loadModel(model, { device: 'cpu' });
      const byText = await loadModel(out, { device: 'cpu' });
      const a = await byIds.predict(variants);
      const b = await byText.predict(variants.map((v) => tok(v).join(' ')));
      a.forEach((p, i) => p.probs.forEach((x, k) => expect(b[i]!.probs[k]).toBeCloseTo(x, 6)));
      expect(a.map((p) => p.tokens)).toEqual(b.map((p) => p.tokens));
      await byIds.release();
      await byText.release();
    }, 60_000);
  }
});
