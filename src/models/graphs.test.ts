import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { defaultGraphsDir, graphConfigs } from './build-graph.js';
import { buildGraphMain } from '../cli/build-graph.js';
import { classifierModel, readClassifierMetadata } from './classifier.js';
import { assertValidModel, decodeModel, toNumber } from '../onnx/index.js';
import { session } from '../../test/reference/run-model.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'highway-onnx-graphs-'));

describe('graphs/*.json', () => {
  const set = graphConfigs();

  it('holds highway and plain configs at depths 1, 2, 4, 8, 16, 32', () => {
    expect(defaultGraphsDir()).toMatch(/graphs$/);
    const names = set.map((s) => s.name).sort();
    const depths = [1, 2, 4, 8, 16, 32];
    expect(names).toEqual([...depths.map((d) => `hbilstm-${d}`), ...depths.map((d) => `plain-${d}`)].sort());
    for (const { name, config } of set) {
      const [kind, depth] = name.split('-') as [string, string];
      expect(config.kind).toBe(kind === 'plain' ? 'plain' : 'highway');
      expect(config.layers).toBe(Number(depth));
      expect([config.embedDim, config.hidden, config.vocabSize]).toEqual([100, 50, 20000]);
      if (config.kind === 'highway') {
        expect(config.carry).toBe('projection');
        expect(config.gateBias).toBe(config.layers <= 8 ? -1 : config.layers === 16 ? -2 : -3);
      }
    }
  });

  for (const { name, config } of graphConfigs()) {
    it(`${name} builds and passes assertValidModel`, () => {
      const model = classifierModel(config);
      assertValidModel(model);
      expect(readClassifierMetadata(model).config).toEqual(config);
    });
  }
});

describe('buildGraphMain', () => {
  it('writes one model from flags and prints path, size and parameter count', async () => {
    const dir = tmp();
    try {
      const lines: string[] = [];
      const out = join(dir, 'sub', 'm.onnx');
      const built = await buildGraphMain(
        ['--layers', '3', '--carry', 'zero-pad', '--hidden', '4', '--embed-dim', '6', '--vocab-size', '40', '--classes', '3', '--gate-bias', '-2.5', '--seed', '7', '--opset', '18', '--out', out],
        { log: (l) => lines.push(l) },
      );
      expect(built).toHaveLength(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/m\.onnx\s+\S+ (B|KiB|MiB)\s+[\d,]+ params$/);
      expect(statSync(out).size).toBe(built[0]!.bytes);
      const model = decodeModel(readFileSync(out));
      expect(toNumber(model.opsetImport![0]!.version)).toBe(18);
      const { config } = readClassifierMetadata(model);
      expect(config).toMatchObject({ kind: 'highway', layers: 3, carry: 'zero-pad', hidden: 4, embedDim: 6, vocabSize: 40, classes: 3, gateBias: -2.5, seed: 7 });
      const s = await session(model);
      expect(s.outputNames).toEqual(['logits', 'probs', 'gates']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--config (file or inline JSON) with --plain and overrides', async () => {
    const dir = tmp();
    try {
      const cfgPath = join(dir, 'c.json');
      writeFileSync(cfgPath, JSON.stringify({ layers: 2, hidden: 3, embedDim: 4, vocabSize: 10, labels: ['a', 'b'] }));
      const [fromFile] = await buildGraphMain(['--config', cfgPath, '--plain', '--classes', '4', '--out', join(dir, 'a.onnx')], { log: () => {} });
      expect(fromFile!.config).toMatchObject({ kind: 'plain', layers: 2, classes: 4, labels: ['class0', 'class1', 'class2', 'class3'] });
      const [inline] = await buildGraphMain(['--config', '{"layers":1,"hidden":2,"embedDim":4,"vocabSize":9,"carry":"identity"}', '--out', join(dir, 'b.onnx')], { log: () => {} });
      expect(inline!.config).toMatchObject({ kind: 'highway', layers: 1, carry: 'identity' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with no model flags builds every config of the set folder', async () => {
    const dir = tmp();
    try {
      writeFileSync(join(dir, 'tiny-2.json'), JSON.stringify({ layers: 2, hidden: 2, embedDim: 3, vocabSize: 8, carry: 'zero-pad' }));
      writeFileSync(join(dir, 'tiny-1.json'), JSON.stringify({ kind: 'plain', layers: 1, hidden: 2, embedDim: 3, vocabSize: 8 }));
      const lines: string[] = [];
      const built = await buildGraphMain(['--dir', dir], { log: (l) => lines.push(l) });
      expect(built.map((b) => b.path)).toEqual([join(dir, 'tiny-1.onnx'), join(dir, 'tiny-2.onnx')]);
      expect(lines).toHaveLength(2);
      expect(readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort()).toEqual(['tiny-1.onnx', 'tiny-2.onnx']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad flags and bad configs with clear errors', async () => {
    const quiet = { log: () => {} };
    await expect(buildGraphMain(['--layers', 'two'], quiet)).rejects.toThrow(CommanderError);
    await expect(buildGraphMain(['--layers', '2', '--carry', 'sideways', '--out', '/nonexistent/x.onnx'], quiet)).rejects.toThrow(/config.carry must be identity, projection or zero-pad/);
    await expect(buildGraphMain(['--config', '{"layers": 1', '--out', 'x.onnx'], quiet)).rejects.toThrow(/not valid JSON/);
  });
});
