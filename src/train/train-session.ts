// Runs the training-step and eval graphs in onnxruntime, keeping parameters and optimizer
// state as tensors between steps (each step's outputs are the next step's inputs).
import * as ort from 'onnxruntime-node';
import { createNodeSession } from '../runtime/node.js';
import type { Device } from '../runtime/device.js';
import type { PaddedBatch } from '../data/batches.js';
import type { Tensor } from '../onnx/tensor.js';
import { encodeModel } from '../onnx/proto.js';
import type { StepGraphs, TensorSpec } from './step-graph.js';

export interface StepResult {
  loss: number;
  correct: number;
  gradNorm: number;
}

export interface StepInputs {
  batch: PaddedBatch;
  labels: BigInt64Array;
  embeddingMask: Float32Array;
  outputMask: Float32Array;
  lr: number;
  /** 1-based global step (Adam's bias correction). */
  step: number;
}

const toOrt = (t: Tensor): ort.Tensor => new ort.Tensor('float32', t.data as Float32Array, t.dims);
const fromOrt = (t: ort.Tensor): Tensor => ({ dtype: 'float32', dims: [...t.dims], data: t.data as Float32Array });

export class TrainSession {
  private constructor(
    private readonly train: ort.InferenceSession,
    private readonly evalSession: ort.InferenceSession,
    private readonly graphs: StepGraphs,
    private readonly tensors: Map<string, ort.Tensor>,
  ) {}

  static async create(graphs: StepGraphs, params: Map<string, Tensor>, state: Map<string, Tensor>, opts: { device?: Device; threads?: number } = {}): Promise<TrainSession> {
    const train = await createNodeSession(encodeModel(graphs.trainStep), opts);
    const evalSession = await createNodeSession(encodeModel(graphs.eval), opts);
    const tensors = new Map<string, ort.Tensor>();
    const put = (spec: TensorSpec, t: Tensor | undefined, what: string): void => {
      if (!t) throw new Error(`missing ${what} '${spec.name}'`);
      if (t.dims.join() !== spec.dims.join()) throw new Error(`${what} '${spec.name}' has shape [${t.dims}], expected [${spec.dims}]`);
      tensors.set(spec.name, toOrt(t));
    };
    graphs.params.forEach((p) => put(p, params.get(p.name), 'parameter'));
    graphs.state.forEach((s) => put(s, state.get(s.name), 'optimizer state'));
    return new TrainSession(train, evalSession, graphs, tensors);
  }

  private batchFeeds(batch: PaddedBatch, labels: BigInt64Array): Record<string, ort.Tensor> {
    return {
      ids: new ort.Tensor('int64', batch.ids, [batch.batch, batch.time]),
      lengths: new ort.Tensor('int32', batch.lengths, [batch.batch]),
      labels: new ort.Tensor('int64', labels, [batch.batch]),
    };
  }

  /** One optimizer step; parameters and state advance only if the loss is finite. */
  async step(inp: StepInputs): Promise<StepResult> {
    const feeds: Record<string, ort.Tensor> = {
      ...this.batchFeeds(inp.batch, inp.labels),
      'dropout.embedding': new ort.Tensor('float32', inp.embeddingMask, [inp.batch.time, inp.batch.batch, inp.embeddingMask.length / (inp.batch.time * inp.batch.batch)]),
      'dropout.output': new ort.Tensor('float32', inp.outputMask, [inp.batch.batch, inp.outputMask.length / inp.batch.batch]),
      lr: new ort.Tensor('float32', Float32Array.of(inp.lr), []),
      step: new ort.Tensor('float32', Float32Array.of(inp.step), []),
    };
    for (const [name, t] of this.tensors) feeds[name] = t;
    const out = await this.train.run(feeds);
    const result = {
      loss: (out.loss!.data as Float32Array)[0]!,
      correct: (out.correct!.data as Float32Array)[0]!,
      gradNorm: (out.grad_norm!.data as Float32Array)[0]!,
    };
    if (Number.isFinite(result.loss) && Number.isFinite(result.gradNorm)) {
      for (const name of this.tensors.keys()) this.tensors.set(name, out[this.graphs.nextName(name)]!);
    }
    return result;
  }

  /** Summed loss and correct count over the given batches (no dropout, no update). */
  async evaluate(batches: { batch: PaddedBatch; labels: BigInt64Array }[]): Promise<{ loss: number; correct: number; total: number; predictions: number[] }> {
    let loss = 0;
    let correct = 0;
    let total = 0;
    const predictions: number[] = [];
    for (const { batch, labels } of batches) {
      const feeds: Record<string, ort.Tensor> = this.batchFeeds(batch, labels);
      for (const p of this.graphs.params) feeds[p.name] = this.tensors.get(p.name)!;
      const out = await this.evalSession.run(feeds);
      loss += (out.loss_sum!.data as Float32Array)[0]!;
      correct += (out.correct!.data as Float32Array)[0]!;
      total += batch.batch;
      const logits = out.logits!.data as Float32Array;
      const C = logits.length / batch.batch;
      for (let b = 0; b < batch.batch; b++) {
        let best = 0;
        for (let c = 1; c < C; c++) if (logits[b * C + c]! > logits[b * C + best]!) best = c;
        predictions.push(best);
      }
    }
    return { loss, correct, total, predictions };
  }

  params(): Map<string, Tensor> {
    return new Map(this.graphs.params.map((p) => [p.name, fromOrt(this.tensors.get(p.name)!)]));
  }

  state(): Map<string, Tensor> {
    return new Map(this.graphs.state.map((s) => [s.name, fromOrt(this.tensors.get(s.name)!)]));
  }

  async release(): Promise<void> {
    await this.train.release();
    await this.evalSession.release();
  }
}
