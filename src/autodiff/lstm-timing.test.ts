// Timing of the LSTM backward (a print, not an assertion): T=25, B=32, input 100, hidden
// 50, bidirectional, ragged lengths, float32, onnxruntime-node CPU. The backward graph is
// the rule's alone, fed Y, Y_h, Y_c from a forward run; the forward op is timed beside it.
import { describe, expect, it } from 'vitest';
import type * as ort from 'onnxruntime-node';
import { Rng } from '../data/rng.js';
import { numDirections } from '../../test/reference/lstm-reference.js';
import { cotangentFeeds, floatFeed, forwardGraph, gradGraph, makeCotangents, makeProblem, problemFeeds, run, scanBodies, session } from '../../test/autodiff/lstm-harness.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

/** Median wall-clock ms per run, and median process CPU ms per run (steadier on a shared machine). */
async function timeRuns(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>, n = 20): Promise<{ wall: number; cpu: number }> {
  for (let k = 0; k < 5; k++) await s.run(feeds);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < n; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await s.run(feeds);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const fmt = (t: { wall: number; cpu: number }): string => `${t.wall.toFixed(2)} ms/call (CPU ${t.cpu.toFixed(2)} ms)`;

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
    const bwd = await timeRuns(bwdSession, bwdFeeds);
    const fwdOp = await timeRuns(fwdSession, feeds);
    const fwdScan = await timeRuns(scanFwdSession, feeds);
    const oneThread = { intraOpNumThreads: 1, interOpNumThreads: 1 };
    const bwd1 = await timeRuns(await session(g, 17, oneThread), bwdFeeds);
    const fwd1 = await timeRuns(await session(forwardGraph(p, 'float32', 'op'), 17, oneThread), feeds);
    const bodies = scanBodies(g);
    console.log(
      [
        `LSTM backward (rule), T=25 B=32 I=100 H=50 bidirectional, ragged: ${fmt(bwd)}, medians of 20`,
        `  forward LSTM op: ${fmt(fwdOp)}; forward lstmScan: ${fmt(fwdScan)}`,
        `  one thread: backward ${fmt(bwd1)}; forward LSTM op ${fmt(fwd1)}`,
        `  backward graph: ${g.nodes.length} top-level nodes; Scan bodies: ${bodies.map((b) => `${b.body} ${b.nodes} nodes [${b.ops.join(' ')}]`).join('; ')}`,
        `  lstmScan body: ${scanBodies(forwardGraph(p, 'float32', 'scan'))[0]!.nodes} nodes`,
      ].join('\n'),
    );
    expect(bwd.wall).toBeGreaterThan(0);
  });
});
