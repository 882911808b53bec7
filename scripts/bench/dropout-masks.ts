// What building a training batch costs in JavaScript: the dropout masks drawn per entry with
// nextFloat() (the loop Rng.fillBernoulli replaced, kept here as the reference), with
// fillBernoulli into new arrays, and into DropoutBuffers reused from step to step (what train()
// does). Also checks that the three give the same masks. CPU time of this thread (other jobs on
// the machine disturb it less than wall time), medians over windows of 200 batches.
// `npx tsx scripts/bench/dropout-masks.ts [--batch 32] [--time 25] [--windows 9]`
import { Command } from 'commander';
import { Rng } from '../../src/data/rng.js';
import { DropoutBuffers, labelledBatch, withDropout, type ClassifierBatch, type Encoded, type LabelledBatch } from '../../src/train/classifier-feeds.js';
import { stepRng } from '../../src/train/dropout.js';
import { positiveInt } from '../../src/cli/args.js';
import { median } from './stats.js';

const o = new Command('bench:dropout-masks')
  .option('--batch <n>', 'sentences per batch', positiveInt, 32)
  .option('--time <n>', 'longest sentence (tokens)', positiveInt, 25)
  .option('--windows <n>', 'timed windows per variant', positiveInt, 9)
  .parse(process.argv)
  .opts<{ batch: number; time: number; windows: number }>();

const config = { embedDim: 100, hidden: 50, dropout: 0.5 };
const data: Encoded = {
  ids: Array.from({ length: o.batch }, (_, i) => Array.from({ length: o.time - (i % 5) }, (_, t) => 2 + ((i * 31 + t * 7) % 1000))),
  labels: Array.from({ length: o.batch }, (_, i) => i % 2),
};
const indices = data.ids.map((_, i) => i);

/** The per-draw loop masks were drawn with before fillBernoulli (the stream every run relies on). */
const perDraw = (rng: Rng, size: number, p: number): Float32Array => {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - p);
  for (let i = 0; i < size; i++) mask[i] = rng.nextFloat() < p ? 0 : keep;
  return mask;
};
const perDrawBatch = (b: LabelledBatch, step: number): ClassifierBatch => {
  const rng = stepRng(1, step);
  const { batch: B, time: T } = b.batch;
  return { ...b, embeddingMask: perDraw(rng, T * B * config.embedDim, config.dropout), outputMask: perDraw(rng, B * 2 * config.hidden, config.dropout) };
};
const buffers = new DropoutBuffers();
const variants: Record<string, (step: number) => ClassifierBatch> = {
  'per-draw loop, new arrays': (s) => perDrawBatch(labelledBatch(data, indices), s),
  'fillBernoulli, new arrays': (s) => withDropout(labelledBatch(data, indices), config, 1, s),
  'fillBernoulli, DropoutBuffers': (s) => withDropout(labelledBatch(data, indices), config, 1, s, buffers),
};

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
for (let s = 1; s <= 20; s++) {
  const [a, b, c] = Object.values(variants).map((f) => f(s)) as [ClassifierBatch, ClassifierBatch, ClassifierBatch];
  for (const x of [b, c]) {
    if (!bytes(a.embeddingMask).equals(bytes(x.embeddingMask)) || !bytes(a.outputMask).equals(bytes(x.outputMask))) throw new Error(`the masks of step ${s} differ between variants`);
  }
}
const cpuMs: Record<string, number[]> = {};
for (let w = 0; w < o.windows; w++) {
  for (const [name, f] of Object.entries(variants)) {
    const c0 = process.cpuUsage();
    for (let s = 1; s <= 200; s++) f(s);
    const c = process.cpuUsage(c0);
    (cpuMs[name] ??= []).push((c.user + c.system) / 1000 / 200);
  }
}
console.log(JSON.stringify({ batch: o.batch, time: o.time, maskFloatsPerBatch: o.batch * (o.time * config.embedDim + 2 * config.hidden), cpuMsPerBatch: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, +median(v).toFixed(3)])) }, null, 1));
