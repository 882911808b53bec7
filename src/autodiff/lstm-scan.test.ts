// lstmScan (the LSTM as a Scan of basic ops) against onnxruntime's LSTM op in float32, and
// the plain-TypeScript reference forward against both; lstmScan again in float64.
import { describe, expect, it } from 'vitest';
import { lstmForwardRef, type Direction } from '../../test/reference/lstm-reference.js';
import { forwardGraph, makeProblem, problemFeeds, relErr, run, scanBodies, session } from '../../test/autodiff/lstm-harness.js';

const directions: Direction[] = ['forward', 'reverse', 'bidirectional'];
const lengthCases: { name: string; lens: number[] | null }[] = [
  { name: 'no sequence_lens', lens: null },
  { name: 'ragged lengths (1 … T)', lens: [6, 1, 3, 6, 4] },
];

describe('lstmScan equals the LSTM op', () => {
  for (const direction of directions) {
    for (const { name, lens } of lengthCases) {
      for (const initial of [false, true]) {
        it(`${direction}, ${name}, ${initial ? 'with' : 'without'} initial states`, async () => {
          const p = makeProblem(11, { T: 6, B: 5, I: 3, H: 4, direction, lens, initial });
          const feeds = problemFeeds(p, 'float32');
          const viaOp = await run(await session(forwardGraph(p, 'float32', 'op')), feeds);
          const viaScan = await run(await session(forwardGraph(p, 'float32', 'scan')), feeds);
          const ref = lstmForwardRef(p);
          for (const k of ['Y', 'Y_h', 'Y_c'] as const) {
            const maxDiff = viaOp[k]!.reduce((m, v, i) => Math.max(m, Math.abs(v - viaScan[k]![i]!)), 0);
            expect(maxDiff, k).toBeLessThan(1e-5);
            expect(relErr(viaOp[k]!, ref[k === 'Y' ? 'y' : k === 'Y_h' ? 'yH' : 'yC']), `${k} vs reference`).toBeLessThan(1e-5);
          }
          if (lens) {
            // padding steps are zero in Y
            const D = direction === 'bidirectional' ? 2 : 1;
            for (let t = 1; t < p.T; t++) for (let k = 0; k < D * p.H; k++) {
              const d = Math.floor(k / p.H);
              expect(viaScan.Y![((t * D + d) * p.B + 1) * p.H + (k % p.H)]).toBe(0);
            }
          }
        });
      }
    }
  }

  it('runs in float64 and matches the float64 reference to 1e-12', async () => {
    for (const direction of directions) {
      const p = makeProblem(12, { T: 6, B: 5, I: 3, H: 4, direction, lens: [6, 1, 3, 6, 4], initial: true });
      const out = await run(await session(forwardGraph(p, 'float64', 'scan')), problemFeeds(p, 'float64'));
      const ref = lstmForwardRef(p);
      expect(relErr(out.Y!, ref.y)).toBeLessThan(1e-12);
      expect(relErr(out.Y_h!, ref.yH)).toBeLessThan(1e-12);
      expect(relErr(out.Y_c!, ref.yC)).toBeLessThan(1e-12);
    }
  });

  it('keeps the Scan body small', () => {
    const p = makeProblem(13, { T: 4, B: 2, I: 3, H: 4, direction: 'bidirectional', lens: [4, 2] });
    const [body] = scanBodies(forwardGraph(p, 'float32', 'scan'));
    expect(body!.nodes).toBeLessThanOrEqual(16);
  });
});
