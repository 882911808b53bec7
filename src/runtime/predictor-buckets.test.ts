// Predictor.predict cuts its inputs into runs by length (less padding; run-plan.ts) and gives the
// results back in input order, equal to scoring each input alone; small runs go to a one-thread
// session when the loader made one.
import { describe, expect, it, vi } from 'vitest';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel, type LoadOptions } from './node.js';
import { Rng } from '../data/rng.js';
import * as ort from 'onnxruntime-node';
import { Predictor, smallRunTokensFor, type SessionLike, type TensorCtor } from './predictor.js';
import { cpuSessionOptions } from './session-options.js';
import { planRuns } from './run-plan.js';
import { padBatch } from '../data/batches.js';

describe('Predictor length buckets', () => {
  it('many inputs of mixed lengths: input order kept, each equal to its prediction alone (1e-6)', async () => {
    const config = resolveConfig({ kind: 'highway', layers: 2, vocabSize: 60, embedDim: 8, hidden: 4, classes: 3, carry: 'projection', seed: 5 });
    const bytes = encodeModel(classifierModel(config));
    const batched = await loadModel(bytes, { device: 'cpu', maxBatch: 7 });
    const alone = await loadModel(bytes, { device: 'cpu', maxBatch: 1 });
    const rng = new Rng(11);
    const seqs = Array.from({ length: 40 }, () => Array.from({ length: 1 + rng.nextInt(30) }, () => 2 + rng.nextInt(58)));
    const got = await batched.predict(seqs);
    const want = await alone.predict(seqs);
    expect(got).toHaveLength(seqs.length);
    got.forEach((p, i) => {
      expect(p.labelId).toBe(want[i]!.labelId);
      p.probs.forEach((x, c) => expect(Math.abs(x - want[i]!.probs[c]!)).toBeLessThan(1e-6));
      // gates are per token of this input: its own length, so the row is this input's
      expect(p.gates!.map((g) => g.length)).toEqual([seqs[i]!.length, seqs[i]!.length]);
      p.gates!.flat().forEach((x, k) => expect(Math.abs(x - want[i]!.gates!.flat()[k]!)).toBeLessThan(1e-6));
    });
    await batched.release();
    await alone.release();
  });
});

describe('Predictor small-run session', () => {
  const config = resolveConfig({ kind: 'highway', layers: 2, vocabSize: 60, embedDim: 8, hidden: 4, classes: 3, carry: 'projection', seed: 5 });
  const bytes = encodeModel(classifierModel(config));

  it('runs of at most maxTokens padded tokens go to the one-thread session, larger ones to the main; results as one session gives', async () => {
    const ref = await loadModel(bytes, { device: 'cpu', threads: 1, maxBatch: 64 });
    const opts = { ...cpuSessionOptions({ threads: 2 }), executionProviders: ['cpu'] };
    const calls = { main: [] as number[], small: [] as number[] };
    const counted = async (which: 'main' | 'small', threads: number): Promise<SessionLike> => {
      const s = await ort.InferenceSession.create(bytes, { ...opts, ...cpuSessionOptions({ threads }) });
      return { inputNames: s.inputNames, outputNames: s.outputNames, release: () => s.release(), run: (f) => { calls[which].push((f.ids!.dims as number[]).reduce((a, b) => a * b, 1)); return s.run(f as Record<string, ort.Tensor>); } };
    };
    const p = new Predictor(await counted('main', 2), ort.Tensor as unknown as TensorCtor, ref.info, { maxBatch: 64, smallRuns: { session: await counted('small', 1), maxTokens: 40 } });
    const rng = new Rng(4);
    // Two far-apart length groups: a run of short ones (≤ 40 tokens) and a run of long ones.
    const seqs = [...Array.from({ length: 6 }, () => [2, 3, 4]), ...Array.from({ length: 6 }, () => Array.from({ length: 30 }, () => 2 + rng.nextInt(58)))];
    const got = await p.predict(seqs);
    expect(calls.small).toEqual([18]);
    expect(calls.main).toEqual([180]);
    const want = await ref.predict(seqs);
    got.forEach((x, i) => x.probs.forEach((v, c) => expect(Math.abs(v - want[i]!.probs[c]!)).toBeLessThan(1e-6)));
    await p.release();
    await ref.release();
  });

  it('its default size is 64 padded tokens at embed 100, hidden 50, fewer for wider models', () => {
    expect(smallRunTokensFor({ embedDim: 100, hidden: 50 })).toBe(64);
    expect(smallRunTokensFor({ embedDim: 100, hidden: 100 })).toBe(16);
    expect(smallRunTokensFor({ embedDim: 300, hidden: 512 })).toBe(1);
    expect(smallRunTokensFor({ embedDim: 8, hidden: 4 })).toBeGreaterThan(64);
  });

  it('loadModel makes it only on CPU with more than one thread, and rejects a smallRunTokens that is not a count', async () => {
    const two = await loadModel(bytes, { device: 'cpu', threads: 2 });
    const one = await loadModel(bytes, { device: 'cpu', threads: 1 });
    const off = await loadModel(bytes, { device: 'cpu', threads: 2, smallRunTokens: 0 });
    const hasSmall = (p: Predictor): boolean => (p as unknown as { small: unknown }).small !== null;
    expect([hasSmall(two), hasSmall(one), hasSmall(off)]).toEqual([true, false, false]);
    await Promise.all([two.release(), one.release(), off.release()]);
    for (const bad of [-1, 1.5, Number.NaN]) {
      await expect(loadModel(bytes, { device: 'cpu', threads: 2, smallRunTokens: bad })).rejects.toMatchObject({ code: 'E_PREDICT_INPUT', message: expect.stringContaining('smallRunTokens') });
    }
    // null is not the default (only an absent option is): a JavaScript caller gets the same refusal.
    const asNull = { device: 'cpu', threads: 2, smallRunTokens: null } as unknown as LoadOptions;
    await expect(loadModel(bytes, asNull)).rejects.toMatchObject({ code: 'E_PREDICT_INPUT', message: expect.stringMatching(/^smallRunTokens must be a non-negative integer .*, found null$/) });
  });

  it('a bad option the Predictor refuses (maxLength 0) closes every session it had opened', async () => {
    // InferenceSession is typed as a factory; at run time it is the class whose instances loadModel opens.
    const release = vi.spyOn((ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype, 'release');
    const create = vi.spyOn(ort.InferenceSession, 'create');
    try {
      await expect(loadModel(bytes, { device: 'cpu', threads: 2, maxLength: 0 })).rejects.toMatchObject({ code: 'E_PREDICT_INPUT' });
      // the main session, the one-thread small-run session and its unpadded twin (unpadded-form.ts)
      expect(create).toHaveBeenCalledTimes(3);
      expect(release).toHaveBeenCalledTimes(3);
    } finally {
      release.mockRestore();
      create.mockRestore();
    }
  });
});

describe('Predictor feeds', () => {
  it('pads each run as padBatch does (empty → <unk>, cut at maxLength), rows in the planned order', async () => {
    const config = resolveConfig({ kind: 'highway', layers: 1, vocabSize: 60, embedDim: 4, hidden: 2, classes: 2, seed: 1 });
    const seen: { ids: bigint[]; lengths: number[]; dims: number[] }[] = [];
    const session: SessionLike = {
      inputNames: ['ids', 'lengths'],
      outputNames: ['logits', 'probs'],
      run: async (f) => {
        const B = (f.lengths!.dims as number[])[0]!;
        seen.push({ ids: Array.from(f.ids!.data as BigInt64Array), lengths: Array.from(f.lengths!.data as Int32Array), dims: [...f.ids!.dims] });
        return { logits: { data: new Float32Array(2 * B), dims: [B, 2] }, probs: { data: new Float32Array(2 * B).fill(0.5), dims: [B, 2] } };
      },
    };
    const info = { config, labels: config.labels, vocab: null };
    const p = new Predictor(session, ort.Tensor as unknown as TensorCtor, info, { maxBatch: 4, maxLength: 6 });
    const rng = new Rng(8);
    const seqs = Array.from({ length: 11 }, (_, i) => (i === 3 ? [] : Array.from({ length: 1 + rng.nextInt(9) }, () => rng.nextInt(60))));
    await p.predict(seqs);
    const order = planRuns(seqs.map((s) => Math.max(1, Math.min(s.length, 6))), 4);
    expect(seen).toHaveLength(order.length);
    order.forEach((run, k) => {
      const want = padBatch(run.map((i) => seqs[i]!), { maxLen: 6 });
      expect(seen[k]!.dims).toEqual([want.batch, want.time]);
      expect(seen[k]!.ids).toEqual(Array.from(want.ids));
      expect(seen[k]!.lengths).toEqual(Array.from(want.lengths));
    });
  });
});
