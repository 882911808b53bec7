// `highway-onnx train`: train a classifier and write runs/<name>/model.onnx.
import { train, type TrainResult } from '../train/index.js';
import type { Device } from '../runtime/device.js';
import type { CarryMode } from '../models/config.js';
import type { OptimizerSpec } from '../optim/index.js';
import type { DataFormat } from '../data/files.js';

export interface TrainArgs {
  data?: string;
  format?: DataFormat;
  fiveClass?: boolean;
  phrases?: boolean;
  distinctPhrases?: boolean;
  out: string;
  layers: number;
  plain?: boolean;
  hidden: number;
  embedDim: number;
  carry: CarryMode;
  gateBias: number;
  dropout: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  lr: number;
  momentum?: number;
  weightDecay?: number;
  clip: number;
  epochs: number;
  batch: number;
  patience: number;
  minFreq: number;
  maxLen?: number;
  embeddings?: string;
  seed: number;
  device: Device;
  threads?: number;
  resume?: boolean;
  maxSteps?: number;
  progress: boolean;
}

export function optimizerFromArgs(a: Pick<TrainArgs, 'optimizer' | 'momentum' | 'weightDecay' | 'clip'>): OptimizerSpec {
  const clip = a.clip > 0 ? { clipNorm: a.clip } : {};
  const wd = a.weightDecay !== undefined ? { weightDecay: a.weightDecay } : {};
  if (a.optimizer === 'sgd') return { kind: 'sgd', momentum: a.momentum ?? 0, ...wd, ...clip };
  return { kind: a.optimizer, ...wd, ...clip };
}

export async function trainCommand(a: TrainArgs): Promise<TrainResult> {
  const result = await train({
    out: a.out,
    ...(a.data ? { data: a.data } : {}),
    fiveClass: a.fiveClass ?? false,
    ...(a.format ? { format: a.format } : {}),
    ...(a.phrases ? { phrases: true } : {}),
    ...(a.distinctPhrases ? { distinctPhrases: true } : {}),
    model: {
      kind: a.plain ? 'plain' : 'highway',
      layers: a.layers,
      hidden: a.hidden,
      embedDim: a.embedDim,
      carry: a.carry,
      gateBias: a.gateBias,
      dropout: a.dropout,
    },
    optimizer: optimizerFromArgs(a),
    lr: a.lr,
    epochs: a.epochs,
    batchSize: a.batch,
    patience: a.patience,
    minFreq: a.minFreq,
    ...(a.maxLen ? { maxLen: a.maxLen } : {}),
    ...(a.embeddings ? { embeddings: a.embeddings } : {}),
    seed: a.seed,
    device: a.device,
    ...(a.threads ? { threads: a.threads } : {}),
    resume: a.resume ?? false,
    ...(a.maxSteps ? { maxSteps: a.maxSteps } : {}),
    progress: a.progress,
  });
  process.stdout.write(`${JSON.stringify({
    model: result.modelPath,
    bestDevAccuracy: result.bestDevAccuracy,
    bestEpoch: result.bestEpoch,
    testAccuracy: result.testAccuracy,
    epochs: result.epochs.length,
    stoppedEarly: result.stoppedEarly,
  })}\n`);
  return result;
}
