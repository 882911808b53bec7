import { describe, expect, it } from 'vitest';
import { budgetKey, cells, describeGateBias, ExperimentConfigError, gateBiasFor, parseGateBias, parseIntList } from './grid.js';
import { settingsFromFlags } from '../cli/experiment.js';
import { aggregate, resultsMarkdown } from './report.js';
import type { CellResult } from './results.js';

const flags = { gateBias: '-1:8,-2', dropout: 0.4, lr: 0.003, batch: 32, progress: true, gradients: true };

describe('the sweep grid', () => {
  it('gate bias: −1 up to depth 8, −2 deeper by default; any rule configurable', () => {
    const def = parseGateBias('-1:8,-2');
    expect([1, 8, 9, 12, 16].map((d) => gateBiasFor(d, def))).toEqual([-1, -1, -2, -2, -2]);
    const paper = parseGateBias('-1:10,-2:20,-3');
    expect([10, 11, 20, 21, 50].map((d) => gateBiasFor(d, paper))).toEqual([-1, -2, -2, -3, -3]);
    expect(gateBiasFor(30, parseGateBias('-0.5'))).toBe(-0.5);
    expect(gateBiasFor(30, parseGateBias('-1:8,-2:16'))).toBe(-2);
    expect(describeGateBias(def)).toBe('-1 for depths 1–8, -2 from depth 9');
    expect(() => parseGateBias('-1,-2')).toThrow(ExperimentConfigError);
    expect(() => parseGateBias('-2:8,-1:4')).toThrow(/increase/);
    expect(() => parseGateBias('minus one')).toThrow(/BIAS:MAXDEPTH/);
  });

  it('lists: sorted, deduplicated, positive integers only', () => {
    expect(parseIntList('16,1,4,4', '--depths')).toEqual([1, 4, 16]);
    expect(() => parseIntList('1,0', '--depths')).toThrow(/'0' is not a positive integer/);
    expect(() => parseIntList('', '--seeds')).toThrow(/empty/);
  });

  it('orders cells seed-major, depth ascending, plain before highway', () => {
    const { settings } = settingsFromFlags({ ...flags, depths: '4,1', seeds: '2,1', builtin: true });
    expect(cells(settings).map((c) => c.id)).toEqual([
      'd01-plain-s1', 'd01-highway-s1', 'd04-plain-s1', 'd04-highway-s1',
      'd01-plain-s2', 'd01-highway-s2', 'd04-plain-s2', 'd04-highway-s2',
    ]);
  });

  it('defaults: full grid with 2 seeds, 4 epochs, no early stopping; --quick is tiny', () => {
    const full = settingsFromFlags({ ...flags, builtin: true });
    expect(full.settings.depths).toEqual([1, 2, 4, 8, 12, 16]);
    expect(full.settings.seeds).toEqual([1, 2]);
    expect(full.settings.epochs).toBe(4);
    expect(full.settings.patience).toBeGreaterThanOrEqual(full.settings.epochs);
    expect(full.out).toBe('experiments/builtin-depth');
    const quick = settingsFromFlags({ ...flags, quick: true });
    expect(quick.settings).toMatchObject({ data: null, depths: [1, 2], seeds: [1], epochs: 1, embedDim: 16, hidden: 8 });
    expect(quick.out).toBe('experiments/quick');
  });
});

describe('the recipe flags', () => {
  it('--optimizer, --weight-decay, --embedding-update, --eval-every and --carry reach every cell and the budget key; absent, the key is as before', () => {
    const plain = settingsFromFlags({ ...flags, builtin: true }).settings;
    expect(plain).not.toHaveProperty('optimizer');
    expect(Object.keys(budgetKey(plain)).sort()).toEqual(['batchSize', 'data', 'dropout', 'embedDim', 'epochs', 'hidden', 'lr', 'maxLen', 'patience']);
    const lazy = settingsFromFlags({ ...flags, builtin: true, embeddingUpdate: 'lazy', evalEvery: 100, carry: 'identity' }).settings;
    expect(lazy).toMatchObject({ optimizer: { kind: 'adam', clipNorm: 5, embeddingUpdate: 'lazy' }, evalEvery: 100, carry: 'identity' });
    expect(budgetKey(lazy)).toMatchObject({ optimizer: lazy.optimizer, evalEvery: 100, carry: 'identity' });
    expect(settingsFromFlags({ ...flags, builtin: true, optimizer: 'adamw', weightDecay: 0.05 }).settings.optimizer).toEqual({ kind: 'adamw', weightDecay: 0.05, clipNorm: 5 });
    // SparseAdam has no weight decay: the optimizer's own check refuses the pair.
    expect(() => settingsFromFlags({ ...flags, builtin: true, embeddingUpdate: 'lazy', weightDecay: 0.01 })).toThrow(/lazy/);
  });
});

describe('the report', () => {
  const result = (depth: number, kind: 'plain' | 'highway', seed: number, dev: number, test: number): CellResult => ({
    id: `d${depth}-${kind}-s${seed}`, depth, kind, seed, gateBias: -1, params: 1000 * depth, bestDevAccuracy: dev, bestEpoch: 1,
    testAccuracy: test, finalDevAccuracy: dev, trainSeconds: 10 * depth, wallSeconds: 12 * depth, epochs: [], lossCurve: [], finishedAt: '',
  });

  it('aggregates seeds into mean and min–max', () => {
    const agg = aggregate([result(4, 'plain', 1, 0.7, 0.68), result(4, 'plain', 2, 0.6, 0.62), result(4, 'highway', 1, 0.8, 0.81)]);
    expect(agg).toHaveLength(2);
    const plain = agg.find((a) => a.kind === 'plain')!;
    expect(plain.n).toBe(2);
    expect(plain.dev.mean).toBeCloseTo(0.65);
    expect([plain.dev.min, plain.dev.max]).toEqual([0.6, 0.7]);
    const md = resultsMarkdown(null, [result(4, 'plain', 1, 0.7, 0.68), result(4, 'plain', 2, 0.6, 0.62), result(4, 'highway', 1, 0.8, 0.81)], null);
    expect(md).toContain('| 4 | 65.0 ± 5.0 | 65.0 ± 3.0 | 80.0 | 81.0 | 4k | 4k | 40 s | 40 s | 2/1 |');
  });
});
