// The benchmark's FLOP count (scripts/bench/flops.ts) against the inference graph itself:
// per token, every MatMul on [T, B, In] activations costs 2·In·Out and each LSTM 2·(|W| + |R|)
// (both directions); the per-sentence output layer is left out, as the count documents. Both
// graph forms: the inference form's fused gate-and-carry MatMul takes a Concat of two weights.
import { describe, expect, it } from 'vitest';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { forwardFlopsPerToken, machinePeak, trainFlopsPerToken } from '../../scripts/bench/flops.js';

function flopsFromGraph(layers: number, embedDim: number, hidden: number, fused: boolean): number {
  const model = classifierModel(resolveConfig({ kind: 'highway', layers, embedDim, hidden, vocabSize: 50, classes: 2, carry: 'projection' }), { fused });
  const dims = new Map((model.graph!.initializer ?? []).map((t) => [t.name!, (t.dims ?? []).map(Number)]));
  const concats = new Map((model.graph!.node ?? []).filter((n) => n.opType === 'Concat').map((n) => [n.output![0]!, n.input ?? []]));
  // An initializer's size, or a Concat of initializers' (the fused weights).
  const numel = (name: string): number => {
    const parts = concats.get(name);
    return parts ? parts.reduce((s, p) => s + numel(p), 0) : dims.get(name)!.reduce((a, b) => a * b, 1);
  };
  let total = 0;
  for (const n of model.graph!.node ?? []) {
    const inputs = n.input ?? [];
    if (n.opType === 'LSTM') total += 2 * (numel(inputs[1]!) + numel(inputs[2]!));
    if (n.opType === 'MatMul' && !inputs[1]!.startsWith('output.')) total += 2 * numel(inputs[1]!);
  }
  return total;
}

describe('benchmark FLOP counts', () => {
  it.each([[1, 100, 50], [4, 100, 50], [3, 30, 20]])('forward FLOPs per token match the graph (%i layers, embed %i, hidden %i)', (layers, embedDim, hidden) => {
    for (const fused of [true, false]) {
      expect(forwardFlopsPerToken({ layers, embedDim, hidden })).toBe(flopsFromGraph(layers, embedDim, hidden, fused));
      expect(trainFlopsPerToken({ layers, embedDim, hidden })).toBe(3 * flopsFromGraph(layers, embedDim, hidden, fused));
    }
  });

  it('the peak is cores × clock × lanes × 2 × FMA units, and says so', () => {
    const p = machinePeak(2, 2);
    expect(p.gflops).toBeCloseTo(2 * p.ghz * p.lanes * 2 * 2, 6);
    expect([4, 8, 16]).toContain(p.lanes);
    expect(p.ghz).toBeGreaterThan(0);
    expect(p.formula).toContain(`${p.lanes} fp32 lanes`);
  });
});
