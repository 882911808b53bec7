// The LSTM gradient rule against the plain float64 reference backward
// (test/reference/lstm-reference.ts) and by finite differences on the reference forward.
//
// Tolerances:
// - float32 (the LSTM op forward + the rule's backward, in onnxruntime): every gradient
//   within 1e-4 of the float64 reference, relative to that gradient's largest entry;
// - float64 (the rule's backward graph in float64, fed Y, Y_h, Y_c from the float64
//   reference forward, since onnxruntime's LSTM kernel is float32 only): within 1e-12 of
//   the reference backward, and a central finite difference of the reference forward along
//   one random direction of all inputs agrees to relative error < 1e-6.
import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.js';
import { gradients } from './index.js';
import { Graph } from '../graph/ir.js';
import * as op from '../graph/ops/index.js';
import { lstmBackwardRef, lstmForwardRef, numDirections, type Direction, type LstmProblem } from '../../test/reference/lstm-reference.js';
import {
  cotangentFeeds,
  floatFeed,
  gradGraph,
  makeCotangents,
  makeProblem,
  problemFeeds,
  problemInputs,
  randn,
  refByName,
  relErr,
  run,
  scanBodies,
  session,
  type Cotangents,
} from '../../test/autodiff/lstm-harness.js';

const directions: Direction[] = ['forward', 'reverse', 'bidirectional'];
const RAGGED = [7, 1, 4, 7, 2, 5];

async function ruleGrads64(p: LstmProblem, c: Cotangents, want: [boolean, boolean, boolean] = [true, true, true], opset = 17) {
  const { g } = gradGraph(p, { dt: 'float64', forward: 'fed', grads: want });
  const fwd = lstmForwardRef(p);
  const D = numDirections(p.direction);
  const feeds = {
    ...problemFeeds(p, 'float64'),
    ...cotangentFeeds(p, c, 'float64', want),
    Y: floatFeed('float64', fwd.y, [p.T, D, p.B, p.H]),
    Y_h: floatFeed('float64', fwd.yH, [D, p.B, p.H]),
    Y_c: floatFeed('float64', fwd.yC, [D, p.B, p.H]),
  };
  return run(await session(g, opset), feeds);
}

const worst = (out: Record<string, Float64Array>, ref: Record<string, Float64Array>): number =>
  Math.max(...Object.entries(ref).map(([k, v]) => relErr(out[k]!, v)));

describe('LSTM gradient rule', () => {
  for (const direction of directions) {
    for (const lens of [RAGGED, null]) {
      const what = `${direction}, ${lens ? 'ragged lengths' : 'full lengths'}, initial states`;

      it(`float32: matches the float64 reference (${what})`, async () => {
        const p = makeProblem(21, { T: 7, B: 6, I: 5, H: 4, direction, lens, initial: true });
        const c = makeCotangents(22, p);
        const { g } = gradGraph(p, { dt: 'float32', forward: 'op' });
        const out = await run(await session(g), { ...problemFeeds(p, 'float32'), ...cotangentFeeds(p, c, 'float32') });
        const ref = refByName(p, lstmBackwardRef(p, c.dY, c.dYh, c.dYc));
        expect(Object.keys(out).sort()).toEqual(Object.keys(ref).sort());
        for (const [k, v] of Object.entries(ref)) expect(relErr(out[k]!, v), k).toBeLessThan(1e-4);
        console.log(`float32 (${what}): worst relative error ${worst(out, ref).toExponential(2)}`);
      });

      it(`float64: matches the reference backward and finite differences (${what})`, async () => {
        const p = makeProblem(31, { T: 7, B: 6, I: 5, H: 4, direction, lens, initial: true });
        const c = makeCotangents(32, p);
        const out = await ruleGrads64(p, c);
        const ref = refByName(p, lstmBackwardRef(p, c.dY, c.dYh, c.dYc));
        for (const [k, v] of Object.entries(ref)) expect(relErr(out[k]!, v), k).toBeLessThan(1e-12);
        console.log(`float64 (${what}): worst relative error ${worst(out, ref).toExponential(2)}`);

        // One random direction through every differentiable input (JAX check_vjp style).
        const rng = new Rng(33);
        const keys = ['x', 'w', 'r', 'b', 'h0', 'c0'] as const;
        const dir = Object.fromEntries(keys.map((k) => [k, randn(rng, (p[k] as Float64Array).length)])) as Record<(typeof keys)[number], Float64Array>;
        const loss = (eps: number): number => {
          const q = { ...p } as LstmProblem;
          for (const k of keys) q[k] = (p[k] as Float64Array).map((v, i) => v + eps * dir[k][i]!);
          const f = lstmForwardRef(q);
          let s = 0;
          f.y.forEach((v, i) => (s += v * c.dY[i]!));
          f.yH.forEach((v, i) => (s += v * c.dYh[i]!));
          f.yC.forEach((v, i) => (s += v * c.dYc[i]!));
          return s;
        };
        // Fourth-order central difference: truncation O(eps^4), so rounding dominates.
        const eps = 1e-4;
        const numeric = (8 * (loss(eps) - loss(-eps)) - (loss(2 * eps) - loss(-2 * eps))) / (12 * eps);
        let analytic = 0;
        for (const k of keys) out[`d_${k}`]!.forEach((v, i) => (analytic += v * dir[k][i]!));
        const fdErr = Math.abs(numeric - analytic) / Math.abs(analytic);
        console.log(`finite difference (${what}): analytic ${analytic.toPrecision(12)}, numeric ${numeric.toPrecision(12)}, relative error ${fdErr.toExponential(2)}`);
        expect(fdErr).toBeLessThan(1e-6);
      });
    }
  }

  it('handles absent B / initial states and partial output gradients', async () => {
    for (const direction of directions) {
      for (const want of [[true, false, false], [false, true, false], [false, false, true]] as [boolean, boolean, boolean][]) {
        const p = makeProblem(41, { T: 5, B: 4, I: 3, H: 3, direction, lens: [5, 1, 3, 2], bias: false });
        const c = makeCotangents(42, p, want);
        const out = await ruleGrads64(p, c, want);
        const ref = refByName(p, lstmBackwardRef(p, c.dY, c.dYh, c.dYc));
        expect(Object.keys(out).sort()).toEqual(['d_r', 'd_w', 'd_x']);
        for (const [k, v] of Object.entries(ref)) expect(relErr(out[k]!, v), `${direction} ${want} ${k}`).toBeLessThan(1e-12);
      }
    }
  });

  it('through the autodiff driver: loss = Σ Y·A + Σ Y_h·Bw + Σ Y_c·Cw (float32, bidirectional, ragged)', async () => {
    const p = makeProblem(81, { T: 7, B: 6, I: 5, H: 4, direction: 'bidirectional', lens: RAGGED, initial: true });
    const c = makeCotangents(82, p);
    const D = numDirections(p.direction);
    const g = new Graph({ name: 'lstm_driver' });
    const inp = problemInputs(g, p, 'float32');
    const { y, yH, yC } = op.lstm(inp, { hiddenSize: p.H, direction: p.direction });
    const A = g.input('dY', 'float32', ['T', D, 'B', p.H]);
    const Bw = g.input('dY_h', 'float32', [D, 'B', p.H]);
    const Cw = g.input('dY_c', 'float32', [D, 'B', p.H]);
    const loss = op.sum([op.reduceSum(op.mul(y, A)), op.reduceSum(op.mul(yH, Bw)), op.reduceSum(op.mul(yC, Cw))]);
    const wrt = { d_x: inp.x, d_w: inp.w, d_r: inp.r, d_b: inp.b!, d_h0: inp.initialH!, d_c0: inp.initialC! };
    const grads = gradients(g, loss, Object.values(wrt));
    for (const [name, v] of Object.entries(wrt)) g.output(grads.get(v)!, name);
    const out = await run(await session(g), { ...problemFeeds(p, 'float32'), ...cotangentFeeds(p, c, 'float32') });
    const ref = refByName(p, lstmBackwardRef(p, c.dY, c.dYh, c.dYc));
    for (const [k, v] of Object.entries(ref)) expect(relErr(out[k]!, v), k).toBeLessThan(1e-4);
  });

  it('runs at opsets 13 and 21 as well', async () => {
    const p = makeProblem(91, { T: 4, B: 3, I: 2, H: 3, direction: 'bidirectional', lens: [4, 1, 2], initial: true });
    const c = makeCotangents(92, p);
    const ref = refByName(p, lstmBackwardRef(p, c.dY, c.dYh, c.dYc));
    for (const opset of [13, 21]) {
      const out = await ruleGrads64(p, c, [true, true, true], opset);
      for (const [k, v] of Object.entries(ref)) expect(relErr(out[k]!, v), `opset ${opset} ${k}`).toBeLessThan(1e-12);
    }
  });

  it('handles a single step (T = 1)', async () => {
    for (const direction of directions) {
      const p = makeProblem(45, { T: 1, B: 3, I: 2, H: 3, direction, lens: [1, 1, 1], initial: true });
      const c = makeCotangents(46, p);
      const out = await ruleGrads64(p, c);
      const ref = refByName(p, lstmBackwardRef(p, c.dY, c.dYh, c.dYc));
      for (const [k, v] of Object.entries(ref)) expect(relErr(out[k]!, v), `${direction} ${k}`).toBeLessThan(1e-12);
    }
  });

  it('returns nothing when no output reaches the loss, and only the wanted gradients', () => {
    const p = makeProblem(51, { T: 3, B: 2, I: 3, H: 2, direction: 'forward', initial: true });
    const none = gradGraph(p, { dt: 'float32', forward: 'op', grads: [false, false, false] });
    expect(none.g.outputs).toHaveLength(0);
    expect(none.g.nodes.map((n) => n.opType)).toEqual(['LSTM']);
    const onlyX = gradGraph(p, { dt: 'float32', forward: 'op', needsInputGrad: [true, false, false, false, false, false, false] });
    expect(onlyX.g.outputs.map((v) => v.name)).toEqual(['d_x']);
  });

  it('builds lean Scan bodies: the cell-state Scan and the reversed backward Scan', () => {
    const p = makeProblem(61, { T: 4, B: 3, I: 3, H: 2, direction: 'bidirectional', lens: [4, 2, 1], initial: true });
    const { g } = gradGraph(p, { dt: 'float32', forward: 'fed' });
    const bodies = scanBodies(g);
    expect(bodies.map((b) => b.nodes)).toEqual([3, 8]);
    const bwd = bodies.find((b) => b.body.startsWith('lstm_grad.body'))?.node;
    expect(bwd?.attrInts('scan_input_directions')?.every((d) => d === 1)).toBe(true);
    expect(bwd?.attrInts('scan_output_directions')).toEqual([1]);
    expect(bodies[1]!.ops.filter((o) => o === 'MatMul')).toHaveLength(1);
  });
});
