// The layers on their own (the classifier test covers them composed).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Graph, toModel } from '../graph/index.js';
import { tensorOf } from '../onnx/tensor.js';
import { highwayDense, linear, maskedMaxPool, zeroPad } from './index.js';
import { Rng } from '../data/rng.js';
import { session } from '../../test/reference/run-model.js';

const rnd = (rng: Rng, n: number) => Array.from({ length: n }, () => 2 * rng.nextFloat() - 1);

describe('nn layers', () => {
  it('linear works on [B, In] and [T, B, In]', async () => {
    const rng = new Rng(1);
    const g = new Graph();
    const x2 = g.input('x2', 'float32', ['b', 3]);
    const x3 = g.input('x3', 'float32', ['t', 'b', 3]);
    const w = g.param('w', tensorOf('float32', rnd(rng, 6), [3, 2]));
    const b = g.param('b', tensorOf('float32', [0.5, -0.5], [2]));
    const y2 = linear(x2, w, b);
    const y3 = linear(x3, w, b);
    expect(y2.shape).toEqual(['b', 2]);
    expect(y3.shape).toEqual(['t', 'b', 2]);
    g.output(y2, 'y2');
    g.output(y3, 'y3');
    const s = await session(toModel(g));
    const xs = rnd(rng, 6);
    const r = await s.run({ x2: new ort.Tensor('float32', Float32Array.from(xs), [2, 3]), x3: new ort.Tensor('float32', Float32Array.from(xs), [2, 1, 3]) });
    const W = w.constValue!.data as Float32Array;
    for (let i = 0; i < 2; i++)
      for (let o = 0; o < 2; o++) {
        const want = [0, 1, 2].reduce((s2, k) => s2 + xs[i * 3 + k]! * W[k * 2 + o]!, o === 0 ? 0.5 : -0.5);
        expect((r.y2!.data as Float32Array)[i * 2 + o]).toBeCloseTo(want, 5);
        expect((r.y3!.data as Float32Array)[i * 2 + o]).toBeCloseTo(want, 5);
      }
  });

  it('highwayDense: y = relu(xW_H+b_H)·T + x·(1−T)', async () => {
    const rng = new Rng(2);
    const D = 4;
    const g = new Graph();
    const x = g.input('x', 'float32', ['b', D]);
    const p = (n: string, dims: number[]) => g.param(n, tensorOf('float32', rnd(rng, dims.reduce((a, c) => a * c, 1)), dims));
    const params = { hWeight: p('h.w', [D, D]), hBias: p('h.b', [D]), gateWeight: p('t.w', [D, D]), gateBias: p('t.b', [D]) };
    const { y, gate } = highwayDense(x, params);
    g.output(y, 'y');
    g.output(gate, 'gate');
    const xs = rnd(rng, 2 * D);
    const r = await (await session(toModel(g))).run({ x: new ort.Tensor('float32', Float32Array.from(xs), [2, D]) });
    const P = (v: { constValue?: { data: unknown } }) => v.constValue!.data as Float32Array;
    for (let b = 0; b < 2; b++)
      for (let j = 0; j < D; j++) {
        let h = P(params.hBias)[j]!;
        let t = P(params.gateBias)[j]!;
        for (let k = 0; k < D; k++) {
          h += xs[b * D + k]! * P(params.hWeight)[k * D + j]!;
          t += xs[b * D + k]! * P(params.gateWeight)[k * D + j]!;
        }
        const T = 1 / (1 + Math.exp(-t));
        expect((r.gate!.data as Float32Array)[b * D + j]).toBeCloseTo(T, 5);
        expect((r.y!.data as Float32Array)[b * D + j]).toBeCloseTo(Math.max(h, 0) * T + xs[b * D + j]! * (1 - T), 5);
      }
  });

  it('maskedMaxPool takes the max over t < length only, even when padded steps are larger', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['time', 'batch', 2]);
    const lengths = g.input('lengths', 'int32', ['batch']);
    const pooled = maskedMaxPool(x, lengths);
    expect(pooled.shape).toEqual(['batch', 2]);
    g.output(pooled, 'y');
    // T = 3, B = 2; sequence 0 has length 1 (its max must ignore the 100s), sequence 1 length 3.
    const data = [-5, -6, 1, 2, /* t1 */ 100, 100, 3, -1, /* t2 */ 100, 100, -2, 7];
    const r = await (await session(toModel(g))).run({
      x: new ort.Tensor('float32', Float32Array.from(data), [3, 2, 2]),
      lengths: new ort.Tensor('int32', Int32Array.from([1, 3]), [2]),
    });
    expect(Array.from(r.y!.data as Float32Array)).toEqual([-5, -6, 3, 7]);
  });

  it('zeroPad appends zeros up to the width and keeps symbolic dims', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['time', 'batch', 2]);
    const y = zeroPad(x, 5);
    expect(y.shape).toEqual(['time', 'batch', 5]);
    g.output(y, 'y');
    const r = await (await session(toModel(g))).run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 1, 2]) });
    expect(r.y!.dims).toEqual([2, 1, 5]);
    expect(Array.from(r.y!.data as Float32Array)).toEqual([1, 2, 0, 0, 0, 3, 4, 0, 0, 0]);
  });
});
