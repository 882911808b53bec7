// "Why it happens": per-layer gradient norms ‖∂L/∂θ_layer‖ and (highway) mean
// transform-gate activations, measured by a probe graph built from the same pieces as
// training — the classifier graph plus gradients() — and run in onnxruntime-node.
import * as ort from 'onnxruntime-node';
import { gradients } from '../autodiff/index.js';
import { op, toModel } from '../graph/index.js';
import { buildClassifier } from '../models/classifier.js';
import { IO_NAMES } from '../models/classifier-io.js';
import type { ModelConfig } from '../models/config.js';
import { initParams, layerParamSpecs } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import type { Tensor } from '../onnx/tensor.js';
import type { PaddedBatch } from '../data/batches.js';
import { createNodeSession } from '../runtime/node.js';

/** Parameter groups whose gradient norm is reported, in order: embedding, layers, output. */
export interface ProbeGroups {
  /** 'layer3' → parameter names of that layer's BiLSTM (W, R, B): the part plain and highway share. */
  lstm: string[];
  /** Every parameter of the layer (highway: gate and carry too). */
  layer: string[];
}

export interface GradientProbe {
  config: ModelConfig;
  /** Runs the probe on one set of weights; norms averaged over the batches. */
  measure(params: Map<string, Tensor>, batches: { batch: PaddedBatch; labels: BigInt64Array }[]): Promise<ProbeMeasurement>;
  release(): Promise<void>;
}

export interface ProbeMeasurement {
  loss: number;
  /** Per layer (index 0 = layer 1): ‖∂L/∂(W,R,B)‖ of the layer's BiLSTM. */
  lstmGradNorm: number[];
  /** Per layer: ‖∂L/∂θ‖ over all of the layer's parameters. */
  layerGradNorm: number[];
  embeddingGradNorm: number;
  outputGradNorm: number;
  /** Highway only: mean transform-gate activation per layer over valid tokens and units. */
  gateMean: number[] | null;
}


/** The probe graph: outputs loss, squared gradient norms per group and (highway) gates. */
export function buildGradientProbe(config: ModelConfig): { model: Uint8Array; outputs: string[] } {
  const cfg: ModelConfig = { ...config, gatesOutput: config.kind === 'highway' };
  const cg = buildClassifier(cfg, { params: initParams(cfg), training: false, outputs: false });
  const g = cg.graph;
  const labels = g.input('labels', 'int64', ['batch']);
  const [loss] = g.scope('loss', () => op.softmaxCrossEntropyLoss(cg.logits, labels, { reduction: 'mean' }));
  const names = [...cg.params.keys()];
  const grads = gradients(g, loss!, names.map((n) => cg.params.get(n)!), { check: false });
  const sq = (group: string[], name: string): void => {
    const parts = group.map((n) => op.reduceSumSquare(grads.get(cg.params.get(n)!)!, undefined, { keepdims: false }));
    g.output(parts.length === 1 ? parts[0]! : op.sum(parts), name);
  };
  const outputs: string[] = ['loss'];
  g.output(loss!, 'loss');
  sq(['embedding.weight'], 'sq.embedding');
  outputs.push('sq.embedding');
  for (let l = 1; l <= cfg.layers; l++) {
    const specs = layerParamSpecs(cfg, l);
    const all = specs.map((s) => `layer${l}.${s.name}`);
    sq(specs.filter((s) => s.layout.startsWith('lstm-')).map((s) => `layer${l}.${s.name}`), `sq.layer${l}.lstm`);
    sq(all, `sq.layer${l}.all`);
    outputs.push(`sq.layer${l}.lstm`, `sq.layer${l}.all`);
  }
  sq(['output.weight', 'output.bias'], 'sq.output');
  outputs.push('sq.output');
  if (cg.gates) {
    g.output(cg.gates, IO_NAMES.gates);
    outputs.push(IO_NAMES.gates);
  }
  return { model: encodeModel(toModel(g, { opset: 17, paramsAsInputs: true })), outputs };
}

export async function createGradientProbe(config: ModelConfig, opts: { threads?: number } = {}): Promise<GradientProbe> {
  const { model } = buildGradientProbe(config);
  const session = await createNodeSession(model, { device: 'cpu', ...(opts.threads ? { threads: opts.threads } : {}) });
  const L = config.layers;
  return {
    config,
    async measure(params, batches) {
      const sums = { loss: 0, lstm: new Array<number>(L).fill(0), layer: new Array<number>(L).fill(0), emb: 0, out: 0 };
      const gateSum = new Array<number>(L).fill(0);
      let gateCount = 0;
      for (const { batch, labels } of batches) {
        const feeds: Record<string, ort.Tensor> = {
          [IO_NAMES.ids]: new ort.Tensor('int64', batch.ids, [batch.batch, batch.time]),
          [IO_NAMES.lengths]: new ort.Tensor('int32', batch.lengths, [batch.batch]),
          labels: new ort.Tensor('int64', labels, [batch.batch]),
        };
        for (const [name, t] of params) feeds[name] = new ort.Tensor('float32', t.data as Float32Array, t.dims);
        const out = await session.run(feeds);
        const scalar = (k: string): number => (out[k]!.data as Float32Array)[0]!;
        sums.loss += scalar('loss');
        sums.emb += Math.sqrt(scalar('sq.embedding'));
        sums.out += Math.sqrt(scalar('sq.output'));
        for (let l = 0; l < L; l++) {
          sums.lstm[l]! += Math.sqrt(scalar(`sq.layer${l + 1}.lstm`));
          sums.layer[l]! += Math.sqrt(scalar(`sq.layer${l + 1}.all`));
        }
        const gatesOut = out[IO_NAMES.gates];
        if (gatesOut) {
          // [B, L, T]; only valid time steps count.
          const gates = gatesOut.data as Float32Array;
          const T = batch.time;
          for (let b = 0; b < batch.batch; b++) {
            const len = batch.lengths[b]!;
            for (let l = 0; l < L; l++) for (let t = 0; t < len; t++) gateSum[l]! += gates[(b * L + l) * T + t]!;
            gateCount += len;
          }
        }
      }
      const k = Math.max(batches.length, 1);
      return {
        loss: sums.loss / k,
        lstmGradNorm: sums.lstm.map((v) => v / k),
        layerGradNorm: sums.layer.map((v) => v / k),
        embeddingGradNorm: sums.emb / k,
        outputGradNorm: sums.out / k,
        gateMean: config.kind === 'highway' && gateCount > 0 ? gateSum.map((v) => v / gateCount) : null,
      };
    },
    release: () => session.release(),
  };
}
