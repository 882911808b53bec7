// `npm run bench`: speed figures as ratios against baselines measured in the same run.
// Default: inference against the PyTorch twin (1, 4, 16 layers; batch 1, 32, 256) and training
// against it (1 and 4 layers; dense Adam and the lazy embedding update). `--quick`: a CI-sized
// subset. `--scaling`: time per token against sequence length and batch size (SVG chart).
// Writes bench-results/bench.{json,md} (or scaling.{json,md,svg}).
import { mkdir, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { benchTrainingIsolated, trainingTable } from './bench/training.js';
import { benchDevice, deviceSection } from './bench/device.js';
import { benchVsTorch, vsTorchTable } from './bench/vs-torch.js';
import { benchScaling, DEFAULT_SCALING, scalingChart, scalingTable } from './bench/scaling.js';
import { forwardFlopsPerToken, machinePeak } from './bench/flops.js';
import { DEVICES, type Device } from '../src/runtime/device.js';

const program = new Command('bench')
  .option('--quick', 'short run (layers 1 and 4, batch 1 and 32, short windows, training 1 layer)')
  .option('--scaling', 'time per token for sequence lengths 16…512 and batch sizes 1…1024, inference and training (SVG chart)')
  .option('--seconds <s>', 'length of one of our timed windows, seconds', (v) => Number(v))
  .option('--windows <n>', 'timed windows per cell and side (medians over them)', (v) => Number(v), 5)
  .option('--threads <n>', 'threads on each side (onnxruntime intra-op, torch.set_num_threads)', (v) => Number(v), 2)
  .option('--fma-units <n>', 'FMA units per core assumed for the peak (not in /proc/cpuinfo)', (v) => Number(v), 2)
  .option('--out <dir>', 'output directory', 'bench-results')
  .option('--data <dir>', 'SST directory (sentences for inference, SST-2 train for training)', '../shared/data/sst')
  .option('--no-training', 'skip the training bench')
  .option('--device <device>', `compare a device with cpu instead (${DEVICES.filter((d) => d !== 'cpu').join(', ')}): names the adapter; software-adapter figures are labelled correctness-only`)
  .parse(process.argv);
const o = program.opts<{ quick?: boolean; scaling?: boolean; seconds?: number; windows: number; threads: number; fmaUnits: number; out: string; data: string; training: boolean; device?: Device }>();
const started = new Date().toISOString();
const machine = `Run ${started} on ${process.platform}/${process.arch}, Node ${process.version}, 1-minute load average ${loadavg()[0]!.toFixed(1)} at the start`;

if (o.device && o.device !== 'cpu') {
  if (!DEVICES.includes(o.device)) throw new Error(`--device: expected one of ${DEVICES.join(', ')}, found '${o.device}'`);
  process.stderr.write(`bench: ${o.device} against cpu (same models, batches and training steps)\n`);
  const r = await benchDevice(o.device, { layers: o.quick ? [1] : [1, 2], batches: [1, 32], seconds: o.seconds ?? (o.quick ? 0.5 : 2), trainSteps: o.quick ? 5 : 20 });
  const md = [`# highway-onnx device benchmark`, ``, `${machine}; medians, device and cpu interleaved.`, ``, deviceSection(r), ``].join('\n');
  await mkdir(o.out, { recursive: true });
  await writeFile(`${o.out}/bench-${o.device}.json`, JSON.stringify({ started, ...r }, null, 2));
  await writeFile(`${o.out}/bench-${o.device}.md`, md);
  process.stdout.write(`${md}\n`);
  process.exit(0);
}

if (o.scaling) {
  const opts = o.quick ? { ...DEFAULT_SCALING, lengths: [16, 64, 256], batches: [1, 16, 256], seconds: 0.1 } : DEFAULT_SCALING;
  process.stderr.write(`bench: scaling (lengths ${opts.lengths.join(', ')} at batch ${opts.fixedBatch}; batches ${opts.batches.join(', ')} at length ${opts.fixedLength})\n`);
  const points = await benchScaling({ ...opts, threads: o.threads });
  const md = [
    `# highway-onnx: how cost grows`,
    ``,
    `${machine}. CPU time per token (µs, all threads of the process; wall time in brackets; medians) of inference (raw onnxruntime session) and of a training step (forward + backward + Adam, dense or lazy embedding update), Highway BiLSTM 1 layer, embed 100, hidden 50, every sequence at full length (no padding), ${o.threads} threads. A flat line is linear growth. Chart: [scaling.svg](scaling.svg). Made by \`npm run bench -- --scaling\`.`,
    ``,
    scalingTable(points),
    ``,
  ].join('\n');
  await mkdir(o.out, { recursive: true });
  await writeFile(`${o.out}/scaling.json`, JSON.stringify({ started, options: opts, points }, null, 2));
  await writeFile(`${o.out}/scaling.svg`, scalingChart(points, opts));
  await writeFile(`${o.out}/scaling.md`, md);
  process.stdout.write(`${md}\n`);
  process.exit(0);
}

const peak = machinePeak(o.threads, o.fmaUnits);
const layers = o.quick ? [1, 4] : [1, 4, 16];
const batches = o.quick ? [1, 32] : [1, 32, 256];
const windowSeconds = o.seconds ?? (o.quick ? 0.1 : 0.4);
process.stderr.write(`bench: inference vs PyTorch (layers ${layers.join(', ')}; batch ${batches.join(', ')}; ${o.windows} windows of ~${windowSeconds}s per side and cell)\n`);
const inference = await benchVsTorch({ layers, batches, data: o.data, windows: o.windows, windowSeconds, threads: o.threads, peak });

let training: Awaited<ReturnType<typeof benchTrainingIsolated>> = [];
if (o.training && existsSync(o.data)) {
  process.stderr.write(`bench: training (SST-2 from ${o.data}; ours vs PyTorch in the same run; dense and lazy embedding update)\n`);
  for (const embeddingUpdate of ['dense', 'lazy'] as const) {
    // Batches vary in length, so the first pass over new shapes allocates: warm up over many of them.
    // Each layer count trains in a process of its own, so its peak RSS is its own (as PyTorch's).
    training.push(...(await benchTrainingIsolated({ layers: o.quick ? [1] : [1, 4], steps: o.quick ? 10 : 40, warmup: o.quick ? 5 : 15, windows: o.windows, threads: o.threads, data: o.data, embeddingUpdate })));
  }
  training = training.sort((a, b) => a.layers - b.layers);
} else if (o.training) process.stderr.write(`bench: training skipped — no data at ${o.data} (pass --data)\n`);

const md = [
  `# highway-onnx benchmarks`,
  ``,
  `${machine}. ${o.threads} threads on each side; the other processes on the machine slow both sides alike (timed windows alternate), and the "by CPU time" ratios compare the CPU seconds each side spent on the same work, which such load disturbs less.`,
  ``,
  `## Inference against the PyTorch twin (SST-2 test sentences, Highway BiLSTM, embed 100, hidden 50 per direction, projection carry)`,
  ``,
  `Ours: \`loadModel().predict(texts)\` from raw text (tokenization included). PyTorch ${inference.torchBlas ? `(${inference.torchBlas}) ` : ''}1.13: the twin (scripts/torch/twin.py) in eval mode under inference_mode() on pre-tokenised, pre-padded ids. ${inference.sentences} sentences in file order, cut into batches; medians over ${o.windows} alternating windows. GFLOP/s counts useful work: valid tokens × forward FLOPs per token (${forwardFlopsPerToken({ layers: 1, embedDim: 100, hidden: 50 }).toLocaleString('en')} for 1 layer, +140,000 per further layer; padding not counted). Peak: ${peak.formula}. "Predictor/raw" is the Predictor's throughput from ids over a raw onnxruntime session given the same options and each batch padded whole; the Predictor cuts a batch into runs of similar lengths and sends runs of ≤ 64 padded tokens to a one-thread session (docs/api.md), so it can exceed 1.0 (its own overhead, on one session: \`scripts/bench/predictor-overhead.ts\`); "tokenize only" is our tokenizer + vocabulary lookup alone. Peak RSS is each side's whole process: ours holds the Predictor only (the raw session runs in a process of its own).`,
  ``,
  vsTorchTable(inference.rows),
  ``,
  ...(training.length > 0
    ? [
        `## Training against the PyTorch twin (SST-2 train, Highway BiLSTM, embed 100, hidden 50, batch 32, Adam lr 1e-3, dropout 0.5)`,
        ``,
        `Both sides train on the same length-bucketed batches. "dense": Adam over every parameter on both sides (the default). "lazy": our embeddingUpdate 'lazy' (only the rows a batch looks up move) against PyTorch's own equivalent, Embedding(sparse=True) + torch.optim.SparseAdam for the table and Adam for the rest. Medians over ${o.windows} alternating windows.`,
        ``,
        trainingTable(training),
        ``,
      ]
    : []),
].join('\n');
await mkdir(o.out, { recursive: true });
await writeFile(`${o.out}/bench.json`, JSON.stringify({ started, peak, inference, training }, null, 2));
await writeFile(`${o.out}/bench.md`, md);
process.stdout.write(`${md}\n`);
