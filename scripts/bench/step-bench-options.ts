// The command line the two-sided step benchmarks share (training-fuse.ts, step-copies.ts): the
// training benchmark's data and model depth, alternating windows of a few steps each, threads and
// Adam's embedding update.
import { Command } from 'commander';
import { positiveInt } from '../../src/cli/args.js';

export interface StepBenchOptions {
  /** SST directory holding train.txt. */
  data: string;
  layers: number;
  /** Timed windows per side, and optimizer steps per window. */
  windows: number;
  steps: number;
  /** onnxruntime intra-op threads. */
  threads: number;
  /** 'dense' or 'lazy'. */
  embeddingUpdate: string;
}

/** Parses process.argv for the benchmark `name`, with its own default window count and embedding update. */
export function stepBenchOptions(name: string, defaults: { windows: number; embeddingUpdate: 'dense' | 'lazy' }): StepBenchOptions {
  return new Command(name)
    .option('--data <dir>', 'SST directory (train.txt), as the training benchmark reads it', '../shared/data/sst')
    .option('--layers <n>', 'Highway BiLSTM layers', positiveInt, 1)
    .option('--windows <n>', 'timed windows per side', positiveInt, defaults.windows)
    .option('--steps <n>', 'steps per window', positiveInt, 8)
    .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt, 2)
    .option('--embedding-update <how>', "Adam's embedding update: dense or lazy", defaults.embeddingUpdate)
    .parse(process.argv)
    .opts<StepBenchOptions>();
}
