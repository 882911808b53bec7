// The vocabulary build-graph writes into fresh graphs.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinTokens, fitVocabulary, readGraphVocabulary } from './graph-vocab.js';
import { buildGraphMain } from '../cli/build-graph.js';
import { readClassifierMetadata } from './classifier.js';
import { decodeModel } from '../onnx/proto.js';
import { ConfigError } from './config.js';

describe('graph vocabulary', () => {
  it('pads to the configured size with [unusedN] and truncates when larger', () => {
    expect(fitVocabulary(['<pad>', '<unk>', 'good'], 6)).toEqual(['<pad>', '<unk>', 'good', '[unused0]', '[unused1]', '[unused2]']);
    expect(fitVocabulary(['<pad>', '<unk>', 'good', 'bad'], 3)).toEqual(['<pad>', '<unk>', 'good']);
    expect(fitVocabulary(['<pad>', '<unk>', '[unused0]'], 4)).toEqual(['<pad>', '<unk>', '[unused0]', '[unused1]']);
  });

  it('reads JSON and line files, adding <pad>/<unk>, and rejects malformed ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-vocab-'));
    writeFileSync(join(dir, 'v.json'), JSON.stringify(['good', 'bad']));
    writeFileSync(join(dir, 'v.txt'), 'good\nbad\n');
    writeFileSync(join(dir, 'bad.json'), '[1, 2]');
    expect(readGraphVocabulary(join(dir, 'v.json'))).toEqual(['<pad>', '<unk>', 'good', 'bad']);
    expect(readGraphVocabulary(join(dir, 'v.txt'))).toEqual(['<pad>', '<unk>', 'good', 'bad']);
    expect(() => readGraphVocabulary(join(dir, 'bad.json'))).toThrow(ConfigError);
  });

  it('build-graph embeds the built-in vocabulary by default and none on request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-bg-'));
    const a = join(dir, 'a.onnx');
    const b = join(dir, 'b.onnx');
    await buildGraphMain(['--layers', '1', '--hidden', '4', '--embed-dim', '8', '--vocab-size', '300', '--out', a], { log: () => {} });
    await buildGraphMain(['--layers', '1', '--hidden', '4', '--embed-dim', '8', '--vocab', 'none', '--out', b], { log: () => {} });
    const va = readClassifierMetadata(decodeModel(readFileSync(a))).vocab!;
    expect(va).toHaveLength(300);
    expect(va.slice(0, builtinTokens().length)).toEqual(builtinTokens());
    expect(readClassifierMetadata(decodeModel(readFileSync(b))).vocab).toBeNull();
  });
});
