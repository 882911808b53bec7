// The classifier without its padding mask (unpadded-form.ts): what the rewrite drops, that it
// answers every unpadded run exactly as the full model does (and a padded one differently, so
// the Predictor's routing matters), that anything but the builder's exact mask is left alone, and
// that the Predictor sends unpadded small runs to it.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig, type ModelConfig } from '../models/config.js';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/proto.js';
import { Rng } from '../data/rng.js';
import { answersAlike, openUnpaddedTwin, UNPADDED_MAX_MODEL_BYTES, unpaddedForm } from './unpadded-form.js';
import { loadModel } from './node.js';
import { Predictor, type SessionLike, type TensorCtor } from './predictor.js';
import { cpuSessionOptions } from './session-options.js';

const configs: [string, ModelConfig][] = [
  ['highway, 1 layer', resolveConfig({ kind: 'highway', layers: 1, vocabSize: 50, embedDim: 8, hidden: 4, classes: 2, carry: 'projection', seed: 3 })],
  ['highway, 3 layers, identity carry', resolveConfig({ kind: 'highway', layers: 3, vocabSize: 50, embedDim: 8, hidden: 4, classes: 3, carry: 'identity', seed: 4 })],
  ['plain, 2 layers', resolveConfig({ kind: 'plain', layers: 2, vocabSize: 50, embedDim: 8, hidden: 4, classes: 2, seed: 5 })],
];
const session = (bytes: Uint8Array): Promise<ort.InferenceSession> => ort.InferenceSession.create(bytes, { ...cpuSessionOptions({ threads: 1 }), executionProviders: ['cpu'] });
const ops = (bytes: Uint8Array): string[] => decodeModel(bytes).graph!.node!.map((n) => n.opType!);
const feeds = (seqs: number[][]): Record<string, ort.Tensor> => {
  const T = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(seqs.length * T);
  seqs.forEach((s, b) => s.forEach((id, t) => (ids[b * T + t] = BigInt(id))));
  return { ids: new ort.Tensor('int64', ids, [seqs.length, T]), lengths: new ort.Tensor('int32', Int32Array.from(seqs, (s) => s.length), [seqs.length]) };
};

describe('unpaddedForm', () => {
  for (const [name, config] of configs) {
    for (const fused of [true, false]) {
      it(`${name}, ${fused ? 'inference' : 'plain'} form: the mask's 9 nodes go; every output equal on unpadded runs, not on padded ones`, async () => {
        const bytes = encodeModel(classifierModel(config, { fused }));
        const form = unpaddedForm(bytes);
        expect(form).not.toBeNull();
        const before = ops(bytes);
        const after = ops(form!);
        expect(before).toContain('Where');
        expect(after).not.toContain('Where');
        for (const op of ['Range', 'Less', 'Shape']) expect(after).not.toContain(op);
        expect(before.length - after.length).toBe(9);
        const full = await session(bytes);
        const lean = await session(form!);
        expect(lean.outputNames).toEqual(full.outputNames);
        const rng = new Rng(7);
        const seq = (n: number): number[] => Array.from({ length: n }, () => 2 + rng.nextInt(48));
        // Unpadded runs: one sequence of each length, and batches of equal lengths.
        const runs = [...[1, 2, 5, 13].map((n) => [seq(n)]), [seq(4), seq(4), seq(4)], [seq(9), seq(9)]];
        for (const run of runs) {
          const [a, b] = [await full.run(feeds(run)), await lean.run(feeds(run))];
          for (const out of full.outputNames) expect(Array.from(b[out]!.data as Float32Array)).toEqual(Array.from(a[out]!.data as Float32Array));
        }
        // A padded run: the mask matters, so the lean form must never see one.
        const padded = [seq(2), seq(11)];
        const [a, b] = [await full.run(feeds(padded)), await lean.run(feeds(padded))];
        expect(Array.from(b.logits!.data as Float32Array)).not.toEqual(Array.from(a.logits!.data as Float32Array));
        await Promise.all([full.release(), lean.release()]);
      });
    }
  }

  // Each mutation makes the condition something other than `t < lengths[b]` over the pooled
  // tensor's time axis; the rewrite must then leave the model alone.
  const mutations: [string, (m: ModelProto) => void][] = [
    ['Range starts at 1', (m) => {
      const range = m.graph!.node!.find((n) => n.opType === 'Range')!;
      const one = m.graph!.node!.find((n) => n.opType === 'Range')!.input![2]!;
      range.input![0] = one;
    }],
    ['the lengths are not the graph input', (m) => {
      const cast = m.graph!.node!.find((n) => n.opType === 'Cast' && n.input![0] === 'lengths')!;
      m.graph!.node!.push({ opType: 'Identity', input: ['lengths'], output: ['lengths_copy'] });
      cast.input![0] = 'lengths_copy';
    }],
    ['Shape of another tensor', (m) => {
      const shape = m.graph!.node!.find((n) => n.opType === 'Shape')!;
      shape.input![0] = m.graph!.node!.find((n) => n.opType === 'Gather')!.output![0]!; // the embedding lookup
    }],
    ['the Where is a graph output', (m) => {
      const where = m.graph!.node!.find((n) => n.opType === 'Where')!;
      m.graph!.output!.push({ name: where.output![0]!, type: { tensorType: { elemType: 1 } } });
    }],
    ['no mask at all (the Where replaced by its input)', (m) => {
      const where = m.graph!.node!.find((n) => n.opType === 'Where')!;
      where.opType = 'Identity';
      where.input = [where.input![1]!];
    }],
  ];
  // onnxruntime warns about each initializer no node reads ("Removing initializer 'const.int64.0'"),
  // and `--verbose` printed six such lines for every model loaded: the mask's constants must go too.
  it('drops the constants only the mask read: every initializer of the form is read by a node, every weight is kept', () => {
    for (const [, config] of configs) {
      for (const fused of [true, false]) {
        const bytes = encodeModel(classifierModel(config, { fused }));
        const form = decodeModel(unpaddedForm(bytes)!);
        const read = new Set(form.graph!.node!.flatMap((n) => n.input ?? []));
        const unread = form.graph!.initializer!.map((t) => t.name!).filter((name) => !read.has(name));
        expect(unread).toEqual([]);
        // Only mask constants left: every initializer the original's remaining nodes read is still there.
        const kept = new Set(form.graph!.initializer!.map((t) => t.name!));
        const original = decodeModel(bytes).graph!;
        const needed = original.initializer!.map((t) => t.name!).filter((name) => read.has(name));
        expect(needed.filter((name) => !kept.has(name))).toEqual([]);
        expect(original.initializer!.length - kept.size).toBeGreaterThanOrEqual(3); // 0, 1 and the lowest float at least
      }
    }
  });

  it('leaves a model larger than UNPADDED_MAX_MODEL_BYTES alone (the twin would copy every weight)', () => {
    const big = resolveConfig({ kind: 'highway', layers: 1, vocabSize: 90_000, embedDim: 100, hidden: 4, classes: 2, carry: 'projection', seed: 1 });
    const bytes = encodeModel(classifierModel(big));
    expect(bytes.length).toBeGreaterThan(UNPADDED_MAX_MODEL_BYTES);
    expect(unpaddedForm(bytes)).toBeNull();
    const small = encodeModel(classifierModel({ ...big, vocabSize: 50 }));
    expect(unpaddedForm(small)).not.toBeNull();
  });

  for (const [what, mutate] of mutations) {
    it(`leaves the model alone when ${what}`, () => {
      const model = classifierModel(configs[0]![1]);
      mutate(model);
      expect(unpaddedForm(encodeModel(model))).toBeNull();
    });
  }
});

describe('answersAlike (the loaders\' probe)', () => {
  it('true for the unpadded form of the same model; false for another model, and when a run fails', async () => {
    const config = configs[0]![1];
    const bytes = encodeModel(classifierModel(config));
    const Tensor = ort.Tensor as unknown as TensorCtor;
    const reference = await session(bytes);
    const twin = await session(unpaddedForm(bytes)!);
    const other = await session(unpaddedForm(encodeModel(classifierModel({ ...config, seed: 99 })))!);
    expect(await answersAlike(reference, twin, Tensor, config.vocabSize)).toBe(true);
    expect(await answersAlike(reference, other, Tensor, config.vocabSize)).toBe(false);
    const failing: SessionLike = { inputNames: twin.inputNames, outputNames: twin.outputNames, run: () => Promise.reject(new Error('boom')) };
    expect(await answersAlike(reference, failing, Tensor, config.vocabSize)).toBe(false);
    await Promise.all([reference.release(), twin.release(), other.release()]);
  });
});

describe('openUnpaddedTwin (both loaders)', () => {
  const config = configs[0]![1];
  const bytes = encodeModel(classifierModel(config));
  const probe = { Tensor: ort.Tensor as unknown as TensorCtor, vocabSize: config.vocabSize };

  it('opens the unpadded form through the loader\'s create and keeps it when it answers as the model does', async () => {
    const reference = await session(bytes);
    const opened: Uint8Array[] = [];
    const twin = await openUnpaddedTwin(bytes, reference, (form) => (opened.push(form), session(form)), probe);
    expect(twin).not.toBeNull();
    expect(opened).toHaveLength(1);
    expect(ops(opened[0]!)).not.toContain('Where');
    await Promise.all([reference.release(), twin!.release!()]);
  });

  it('null, and the loading carries on, where the rewrite throws or create fails; a twin answering otherwise is released and reported', async () => {
    const reference = await session(bytes);
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => unpaddedForm(garbage)).toThrow();
    let created = 0;
    expect(await openUnpaddedTwin(garbage, reference, (form) => (created++, session(form)), probe)).toBeNull();
    expect(created).toBe(0);
    expect(await openUnpaddedTwin(bytes, reference, () => Promise.reject(new Error('no session')), probe)).toBeNull();
    // A twin of another model: the probe tells them apart.
    const other = await session(unpaddedForm(encodeModel(classifierModel({ ...config, seed: 99 })))!);
    let released = 0;
    let refused = 0;
    const wrapped: SessionLike = { inputNames: other.inputNames, outputNames: other.outputNames, run: (f) => other.run(f as Record<string, ort.Tensor>), release: async () => void released++ };
    expect(await openUnpaddedTwin(bytes, reference, () => Promise.resolve(wrapped), { ...probe, onRefused: () => void refused++ })).toBeNull();
    expect([released, refused]).toEqual([1, 1]);
    await Promise.all([reference.release(), other.release()]);
  });
});

describe('Predictor with an unpadded session', () => {
  const config = configs[1]![1];
  const bytes = encodeModel(classifierModel(config));

  it('small runs with no padding go to it, small padded runs to the masked one-thread session, large runs to the main; answers as one session gives', async () => {
    const calls: Record<'main' | 'small' | 'unpadded', string[]> = { main: [], small: [], unpadded: [] };
    const counted = async (which: keyof typeof calls, model: Uint8Array, threads: number): Promise<SessionLike> => {
      const s = await ort.InferenceSession.create(model, { ...cpuSessionOptions({ threads }), executionProviders: ['cpu'] });
      return { inputNames: s.inputNames, outputNames: s.outputNames, release: () => s.release(), run: (f) => { calls[which].push((f.ids!.dims as number[]).join('x')); return s.run(f as Record<string, ort.Tensor>); } };
    };
    const ref = await loadModel(bytes, { device: 'cpu', threads: 1 });
    const p = new Predictor(await counted('main', bytes, 2), ort.Tensor as unknown as TensorCtor, ref.info, {
      maxBatch: 64,
      smallRuns: { session: await counted('small', bytes, 1), maxTokens: 40, unpadded: await counted('unpadded', unpaddedForm(bytes)!, 1) },
    });
    const rng = new Rng(9);
    const seq = (n: number): number[] => Array.from({ length: n }, () => 2 + rng.nextInt(48));
    const inputs = [[seq(7)], [seq(3), seq(3)], [seq(2), seq(4)], Array.from({ length: 5 }, () => seq(20))];
    for (const input of inputs) {
      const got = await p.predict(input);
      const want = await ref.predict(input);
      got.forEach((x, i) => {
        x.probs.forEach((v, c) => expect(Math.abs(v - want[i]!.probs[c]!)).toBeLessThan(1e-6));
        x.gates!.flat().forEach((v, k) => expect(Math.abs(v - want[i]!.gates!.flat()[k]!)).toBeLessThan(1e-6));
      });
    }
    expect(calls).toEqual({ unpadded: ['1x7', '2x3'], small: ['2x4'], main: ['5x20'] });
    await Promise.all([p.release(), ref.release()]);
  });

  it('loadModel on CPU with two threads makes one and uses it for a single sentence: same answer as a single-session Predictor', async () => {
    const two = await loadModel(bytes, { device: 'cpu', threads: 2 });
    const one = await loadModel(bytes, { device: 'cpu', threads: 1 });
    const small = (two as unknown as { small: { unpadded: SessionLike | null } | null }).small;
    expect(small?.unpadded).toBeTruthy();
    expect((one as unknown as { small: unknown }).small).toBeNull();
    for (const seq of [[5], [5, 6, 7], [9, 9, 9, 9, 9, 9, 9, 9]]) {
      const [a] = await two.predict([seq]);
      const [b] = await one.predict([seq]);
      a!.probs.forEach((v, c) => expect(Math.abs(v - b!.probs[c]!)).toBeLessThan(1e-6));
    }
    await Promise.all([two.release(), one.release()]);
  });
});
