// Timing of the LSTM backward (a print, not an assertion): T=25, B=32, input 100, hidden
// 50, bidirectional, ragged lengths, float32, onnxruntime-node CPU. The backward graph is
// the rule's alone, fed Y, Y_h, Y_c from a forward run; the forward op is timed beside it.
import { describe, expect, it } from 'vitest';
import type * as ort from 'onnxruntime-node';
import { Rng } from '../../src/data/rng.js';
import { numDirections } from '../reference/lstm-reference.js';
import { cotangentFeeds, floatFeed, forwardGraph, gradGraph, makeCotangents, makeProblem, problemFeeds, run, scanBodies, session } from './lstm-harness.js';

async function medianMs(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>, n = 20): Promise<number> {
  for (let k = 0; k < 3; k++) await s.run(feeds);
  const times: number[] = [];
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return (times[(n - 1) >> 1]! + times[n >> 1]!) / 2;
}

describe('LSTM backward timing', () => {
  it('T=25, B=32, I=100, H=50, bidirectional', async () => {
    const T = 25;
    const B = 32;
    const rng = new Rng(71);
    const lens = Array.from({ length: B }, (_, b) => (b === 0 ? T : 1 + rng.nextInt(T)));
    const p = makeProblem(72, { T, B, I: 100, H: 50, direction: 'bidirectional', lens, initial: true });
    const D = numDirections(p.direction);
    const feeds = problemFeeds(p, 'float32');
    const fwdSession = await session(forwardGraph(p, 'float32', 'op'));
    const fwd = await run(fwdSession, feeds);
    const scanFwdSession = await session(forwardGraph(p, 'float32', 'scan'));

    const { g } = gradGraph(p, { dt: 'float32', forward: 'fed' });
    const bwdFeeds = {
      ...feeds,
      ...cotangentFeeds(p, makeCotangents(73, p), 'float32'),
      Y: floatFeed('float32', fwd.Y!, [T, D, B, p.H]),
      Y_h: floatFeed('float32', fwd.Y_h!, [D, B, p.H]),
      Y_c: floatFeed('float32', fwd.Y_c!, [D, B, p.H]),
    };
    const bwdSession = await session(g);
    const bwd = await medianMs(bwdSession, bwdFeeds);
    const fwdOp = await medianMs(fwdSession, feeds);
    const fwdScan = await medianMs(scanFwdSession, feeds);
    const bodies = scanBodies(g);
    console.log(
      [
        `LSTM backward (rule), T=25 B=32 I=100 H=50 bidirectional: ${bwd.toFixed(2)} ms/call (median of 20)`,
        `  forward LSTM op: ${fwdOp.toFixed(2)} ms/call; forward lstmScan: ${fwdScan.toFixed(2)} ms/call`,
        `  backward graph: ${g.nodes.length} top-level nodes; Scan bodies: ${bodies.map((b) => `${b.body} ${b.nodes} nodes [${b.ops.join(' ')}]`).join('; ')}`,
        `  lstmScan body: ${scanBodies(forwardGraph(p, 'float32', 'scan'))[0]!.nodes} nodes`,
      ].join('\n'),
    );
    expect(bwd).toBeGreaterThan(0);
  });
});
