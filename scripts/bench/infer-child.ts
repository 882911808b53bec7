// Our side of the inference comparison (scripts/bench/vs-torch.ts), in a process of its own so
// that its peak RSS is its own, as the PyTorch child's is.
//
//   tsx scripts/bench/infer-child.ts MODEL.onnx PLAN.json THREADS predictor|raw
//
// 'predictor' holds only the Predictor (its peak RSS is what a user's process needs); 'raw' only
// the raw onnxruntime session, so neither process's memory includes the other's session.
// PLAN.json: a list of batches, each { texts: string[], ids: number[][] } (ids = the model's
// vocabulary over tokenize(text)). Protocol, one JSON object a line: prints {"ready": true};
// then each input line "MODE N" runs the next N batches of the plan (cycling) and answers
// {"seconds", "cpuSeconds", "tokens"} (CPU time of all its threads), where MODE is
//   text     — Predictor.predict(texts): tokenization, encoding, padding, the run, the results;
//   ids      — Predictor.predict(ids): the same without tokenization;
//   raw      — a raw onnxruntime-node session (same session options) on tensors padded beforehand;
//   tokenize — tokenization and encoding alone (Predictor.encode).
// End of input answers {"peak_rss_mb"} and exits.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-node';
import { padBatch } from '../../src/data/batches.js';
import { loadModel } from '../../src/runtime/node.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';

const [modelPath, planPath, threadsArg, role] = process.argv.slice(2);
if (role !== 'predictor' && role !== 'raw') throw new Error(`infer-child: expected role 'predictor' or 'raw', found '${role}'`);
const threads = Number(threadsArg ?? 2);
const plan = JSON.parse(await readFile(planPath!, 'utf8')) as { texts: string[]; ids: number[][] }[];
const bytes = new Uint8Array(await readFile(modelPath!));
const tokens = plan.map((b) => b.ids.reduce((s, x) => s + x.length, 0));
const modes: Record<string, (i: number) => Promise<unknown> | unknown> = {};
let release: () => Promise<void>;
if (role === 'predictor') {
  // BENCH_SMALL_RUN_TOKENS (a count; 0: none) overrides the one-thread small-run session's size, for A/B runs.
  const small = process.env.BENCH_SMALL_RUN_TOKENS;
  const predictor = await loadModel(bytes, { device: 'cpu', threads, maxBatch: 4096, ...(small !== undefined ? { smallRunTokens: Number(small) } : {}) });
  modes.text = (i) => predictor.predict(plan[i]!.texts);
  modes.ids = (i) => predictor.predict(plan[i]!.ids);
  modes.tokenize = (i) => plan[i]!.texts.map((t) => predictor.encode(t));
  release = () => predictor.release();
} else {
  const raw = await ort.InferenceSession.create(bytes, { ...cpuSessionOptions({ threads }), executionProviders: ['cpu'] });
  const feeds = plan.map((b) => {
    const p = padBatch(b.ids);
    return { ids: new ort.Tensor('int64', p.ids, [p.batch, p.time]), lengths: new ort.Tensor('int32', p.lengths, [p.batch]) };
  });
  modes.raw = (i) => raw.run(feeds[i]!);
  release = () => raw.release();
}
const cursors: Record<string, number> = {};
for (const m of Object.keys(modes)) for (let i = 0; i < Math.min(3, plan.length); i++) await modes[m]!(i);

process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [mode, n] = line.trim().split(/\s+/);
  if (!mode) continue;
  const run = modes[mode];
  if (!run) throw new Error(`infer-child: expected a mode (${Object.keys(modes).join(', ')}), found '${mode}'`);
  let cursor = cursors[mode] ?? 0;
  let count = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let k = 0; k < Number(n); k++) {
    const i = cursor++ % plan.length;
    await run(i);
    count += tokens[i]!;
  }
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  cursors[mode] = cursor;
  process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds: (c.user + c.system) / 1e6, tokens: count })}\n`);
}
await release();
process.stdout.write(`${JSON.stringify({ peak_rss_mb: process.resourceUsage().maxRSS / 1024 })}\n`);
