// The Node inference example keeps working: run it as a user would (tsx, a real model file).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { tokenize } from '../../src/data/tokenizer.js';

describe('examples/node-inference.ts', () => {
  it('scores the given texts with a model file', () => {
    const texts = ['a warm and moving film', 'dull and tedious'];
    const vocab = Vocabulary.build(texts.map(tokenize));
    const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 8, hidden: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'hw-example-'));
    const model = join(dir, 'model.onnx');
    writeFileSync(model, encodeModel(classifierModel(config, { vocab: vocab.toJSON() })));
    const out = execFileSync('npx', ['tsx', 'examples/node-inference.ts', model, ...texts], { encoding: 'utf8' });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) => {
      const [label, probs, text] = line.split('\t');
      expect(['negative', 'positive']).toContain(label);
      const p = probs!.split(' ').map(Number);
      expect(p).toHaveLength(2);
      expect(p[0]! + p[1]!).toBeCloseTo(1, 3);
      expect(text).toBe(texts[i]);
    });
  }, 60_000);
});
