import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { countParams, initParams, paramSpecs } from './init.js';

describe('initParams', () => {
  const config = resolveConfig({ layers: 2, embedDim: 10, hidden: 6, vocabSize: 40, classes: 3, gateBias: -2, carry: 'projection', seed: 5 });

  it('is deterministic in the seed and differs across seeds', () => {
    const a = initParams(config);
    const b = initParams(config);
    const c = initParams({ ...config, seed: 6 });
    for (const [name, t] of a) {
      expect(b.get(name)!.data).toEqual(t.data);
      if (!name.endsWith('gate.bias')) expect(c.get(name)!.data).not.toEqual(t.data);
    }
  });

  it('has the documented names, shapes and dtype', () => {
    const p = initParams(config);
    expect([...p.keys()]).toEqual(paramSpecs(config).map((s) => s.name));
    expect(Object.fromEntries([...p].map(([n, t]) => [n, t.dims]))).toEqual({
      'embedding.weight': [40, 10],
      'layer1.bilstm.W': [2, 24, 10], 'layer1.bilstm.R': [2, 24, 6], 'layer1.bilstm.B': [2, 48],
      'layer1.gate.weight': [10, 12], 'layer1.gate.bias': [12], 'layer1.carry.weight': [10, 12], 'layer1.carry.bias': [12],
      'layer2.bilstm.W': [2, 24, 12], 'layer2.bilstm.R': [2, 24, 6], 'layer2.bilstm.B': [2, 48],
      'layer2.gate.weight': [12, 12], 'layer2.gate.bias': [12],
      'output.weight': [12, 3], 'output.bias': [3],
    });
    for (const t of p.values()) expect(t.dtype).toBe('float32');
    expect(countParams(p)).toBe([...p.values()].reduce((n, t) => n + t.data.length, 0));
  });

  it('follows the PyTorch-style ranges; padding row zero; gate bias constant', () => {
    const p = initParams(config);
    const data = (n: string) => Array.from(p.get(n)!.data as Float32Array);
    const within = (n: string, bound: number) => {
      const d = data(n);
      expect(Math.max(...d.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...d.map(Math.abs))).toBeGreaterThan(bound * 0.8); // really uses the range
    };
    const emb = data('embedding.weight');
    expect(emb.slice(0, 10).every((v) => v === 0)).toBe(true);
    const rest = emb.slice(10);
    const mean = rest.reduce((s, v) => s + v, 0) / rest.length;
    const std = Math.sqrt(rest.reduce((s, v) => s + (v - mean) ** 2, 0) / rest.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeGreaterThan(0.08);
    expect(std).toBeLessThan(0.12);
    for (const n of ['layer1.bilstm.W', 'layer1.bilstm.R', 'layer1.bilstm.B', 'layer2.bilstm.W']) within(n, 1 / Math.sqrt(6));
    within('layer1.gate.weight', 1 / Math.sqrt(10));
    within('layer2.gate.weight', 1 / Math.sqrt(12));
    within('layer1.carry.weight', 1 / Math.sqrt(10));
    within('output.weight', 1 / Math.sqrt(12));
    expect(data('layer1.gate.bias').every((v) => v === -2)).toBe(true);
    expect(data('layer2.gate.bias').every((v) => v === -2)).toBe(true);
  });

  it("each parameter's values depend only on (seed, name, shape)", () => {
    const a = initParams(config);
    const b = initParams({ ...config, vocabSize: 99, layers: 3 });
    expect(b.get('layer1.bilstm.W')!.data).toEqual(a.get('layer1.bilstm.W')!.data);
    expect(b.get('output.weight')!.data).toEqual(a.get('output.weight')!.data);
  });

  it('plain models have no gate or carry parameters; other carries no carry projection', () => {
    expect(paramSpecs(resolveConfig({ kind: 'plain', layers: 3 })).some((s) => /gate|carry/.test(s.name))).toBe(false);
    expect(paramSpecs(resolveConfig({ carry: 'zero-pad' })).some((s) => s.name.includes('carry'))).toBe(false);
  });
});
