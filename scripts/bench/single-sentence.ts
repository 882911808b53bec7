// Where a single-sentence prediction's time goes, and what cuts buy (issue 13, round 5):
// SST-2 test sentences one at a time (batch 1), 1 and 4 layers, in one process, alternating
// windows (medians of µs per sentence, wall and CPU of all threads):
//  - the text path: Predictor.predict(text) (single sentences go to the unpadded session,
//    src/runtime/unpadded-form.ts) against the same with the masked model (as before round 5),
//    predict(ids) and encode(text) alone;
//  - graph forms on a raw one-thread session (what the Predictor uses for a sentence):
//      full       the exported model;
//      no-mask    the pooling's Where and its mask dropped (src/runtime/unpadded-form.ts, what the
//                 loaders run single sentences on; exact for runs with no padding); gates kept;
//      no-gates   no mask and no `gates` output;
//      mask-input the mask fed as a bool input [T, B, 1] instead of computed by 8 nodes.
//    Each form's largest |Δlogit| from `full` is printed (they must compute the same function).
//
//   npx tsx scripts/bench/single-sentence.ts [--layers 1,4] [--windows 15] [--sentences 400]
import * as ort from 'onnxruntime-node';
import { Command } from 'commander';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig, type ModelConfig } from '../../src/models/config.js';
import { decodeModel, encodeModel } from '../../src/onnx/proto.js';
import { unpaddedForm, withoutDeadNodes } from '../../src/runtime/unpadded-form.js';
import { loadModel } from '../../src/runtime/node.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';
import { markdownTable, median } from './stats.js';

const list = (v: string): number[] => v.split(',').map(Number);
const o = new Command('single-sentence')
  .option('--layers <list>', 'layer counts', list, [1, 4])
  .option('--windows <n>', 'alternating windows', Number, 15)
  .option('--sentences <n>', 'SST-2 test sentences per window', Number, 400)
  .option('--data <dir>', 'SST directory', '../shared/data/sst')
  .parse(process.argv)
  .opts<{ layers: number[]; windows: number; sentences: number; data: string }>();

const data = await readDataset(o.data, { format: 'sst' });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const texts = data.test.slice(0, o.sentences).map((e) => e.text);
const ids = texts.map((t) => vocab.encode(tokenize(t)));

type Form = 'full' | 'no-mask' | 'no-gates' | 'mask-input';
/** The exported model in `form` (see the header): no-mask is the loaders' own unpaddedForm. */
function formBytes(config: ModelConfig, form: Form): Uint8Array {
  const model = classifierModel(config);
  const g = model.graph!;
  if (form === 'full') return encodeModel(model);
  if (form === 'mask-input') {
    const where = g.node!.find((n) => n.opType === 'Where');
    if (!where) throw new Error('single-sentence: the model has no pooling Where node');
    where.input![0] = 'valid_steps';
    g.input!.push({ name: 'valid_steps', type: { tensorType: { elemType: 9, shape: { dim: [{ dimParam: 'time' }, { dimParam: 'batch' }, { dimValue: 1 }] } } } });
    g.node = withoutDeadNodes(g.node!, new Set(g.output!.map((out) => out.name!)));
    return encodeModel(model);
  }
  // Without the gates output its nodes are dead too, and unpaddedForm drops them with the mask's.
  if (form === 'no-gates') g.output = g.output!.filter((out) => out.name !== 'gates');
  const bytes = unpaddedForm(encodeModel(model));
  if (!bytes) throw new Error('single-sentence: unpaddedForm found no padding mask');
  return bytes;
}

/** Alternating windows of each function over every sentence; medians of µs per sentence. */
async function alternate(fns: ((i: number) => Promise<unknown> | unknown)[]): Promise<{ wall: number; cpu: number }[]> {
  const wall = fns.map((): number[] => []);
  const cpu = fns.map((): number[] => []);
  for (const f of fns) for (let i = 0; i < 20; i++) await f(i);
  for (let w = 0; w < o.windows; w++) {
    for (const [k, f] of fns.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < texts.length; i++) await f(i);
      const c = process.cpuUsage(c0);
      wall[k]!.push(((performance.now() - t0) * 1000) / texts.length);
      cpu[k]!.push((c.user + c.system) / texts.length);
    }
  }
  return fns.map((_, k) => ({ wall: median(wall[k]!), cpu: median(cpu[k]!) }));
}

const rows: (string | number)[][] = [];
for (const layers of o.layers) {
  const config = resolveConfig({ kind: 'highway', layers, vocabSize: vocab.size, embedDim: 100, hidden: 50, classes: 2, carry: 'projection' });
  const bytes = encodeModel(classifierModel(config, { vocab: vocab.decode(Array.from({ length: vocab.size }, (_, i) => i)) }));
  const predictor = await loadModel(bytes, { device: 'cpu', threads: 2 });
  // The same loader's Predictor with its unpadded session taken away (the field is private: a
  // benchmark-only reach-in), so single sentences run the masked model on the one-thread session.
  const masked = await loadModel(bytes, { device: 'cpu', threads: 2 });
  const small = (masked as unknown as { small: { unpadded: unknown } | null }).small;
  if (!small?.unpadded) throw new Error('single-sentence: loadModel made no unpadded session');
  small.unpadded = null;
  const text = await alternate([(i) => predictor.predict(texts[i]!), (i) => masked.predict(texts[i]!), (i) => predictor.predict([ids[i]!]), (i) => predictor.encode(texts[i]!)]);
  await Promise.all([predictor.release(), masked.release()]);
  for (const [k, what] of ['predict(text)', 'predict(text), masked model (before round 5)', 'predict(ids)', 'encode(text) alone'].entries()) {
    rows.push([layers, what, text[k]!.wall.toFixed(1), text[k]!.cpu.toFixed(1), '', '']);
  }

  const forms: Form[] = ['full', 'no-mask', 'no-gates', 'mask-input'];
  const sessions = await Promise.all(
    forms.map((form) => ort.InferenceSession.create(formBytes(config, form), { ...cpuSessionOptions({ threads: 1 }), executionProviders: ['cpu'] })),
  );
  const feeds = forms.map((form) =>
    ids.map((x) => {
      const T = Math.max(1, x.length);
      const feed: Record<string, ort.Tensor> = {
        ids: new ort.Tensor('int64', BigInt64Array.from(x.length > 0 ? x : [Vocabulary.UNK_ID], BigInt), [1, T]),
        lengths: new ort.Tensor('int32', Int32Array.of(T), [1]),
      };
      if (form === 'mask-input') feed.valid_steps = new ort.Tensor('bool', new Uint8Array(T).fill(1), [T, 1, 1]);
      return feed;
    }),
  );
  const diff = await Promise.all(
    forms.map(async (_, k) => {
      let d = 0;
      for (let i = 0; i < 50; i++) {
        const a = (await sessions[0]!.run(feeds[0]![i]!)).logits!.data as Float32Array;
        const b = (await sessions[k]!.run(feeds[k]![i]!)).logits!.data as Float32Array;
        for (let j = 0; j < a.length; j++) d = Math.max(d, Math.abs(a[j]! - b[j]!));
      }
      return d;
    }),
  );
  const raw = await alternate(forms.map((_, k) => (i: number) => sessions[k]!.run(feeds[k]![i]!)));
  for (const [k, form] of forms.entries()) {
    rows.push([layers, `raw 1-thread session, ${form} (${decodeModel(formBytes(config, form)).graph!.node!.length} nodes)`, raw[k]!.wall.toFixed(1), raw[k]!.cpu.toFixed(1), (raw[0]!.wall / raw[k]!.wall).toFixed(3), diff[k]!.toExponential(1)]);
  }
  await Promise.all(sessions.map((s) => s.release()));
}
process.stdout.write(`${markdownTable(['layers', 'what (batch 1, SST-2 test)', 'wall µs / sentence', 'CPU µs / sentence', 'full / this (wall)', 'max abs Δlogit vs full'], rows)}\n`);
