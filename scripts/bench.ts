// `npm run bench`: speed figures as ratios against baselines measured in the same run.
// Writes bench-results/bench.json and bench-results/bench.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { benchInference, inferenceTable } from './bench/inference.js';
import { benchTraining, trainingTable } from './bench/training.js';
import { benchDevice, deviceSection } from './bench/device.js';
import { DEVICES, type Device } from '../src/runtime/device.js';

const program = new Command('bench')
  .option('--quick', 'short run (fewer layers, less time per cell)')
  .option('--seconds <s>', 'time per cell', (v) => Number(v))
  .option('--out <dir>', 'output directory', 'bench-results')
  .option('--data <dir>', 'SST directory for the training bench', '../shared/data/sst')
  .option('--no-training', 'skip the training bench')
  .option('--device <device>', `compare a device with cpu instead (${DEVICES.filter((d) => d !== 'cpu').join(', ')}): names the adapter; software-adapter figures are labelled correctness-only`)
  .parse(process.argv);
const o = program.opts<{ quick?: boolean; seconds?: number; out: string; data: string; training: boolean; device?: Device }>();

if (o.device && o.device !== 'cpu') {
  if (!DEVICES.includes(o.device)) throw new Error(`--device: expected one of ${DEVICES.join(', ')}, found '${o.device}'`);
  const started = new Date().toISOString();
  process.stderr.write(`bench: ${o.device} against cpu (same models, batches and training steps)\n`);
  const r = await benchDevice(o.device, { layers: o.quick ? [1] : [1, 2], batches: [1, 32], seconds: o.seconds ?? (o.quick ? 0.5 : 2), trainSteps: o.quick ? 5 : 20 });
  const md = [`# highway-onnx device benchmark`, ``, `Run ${started} on ${process.platform}/${process.arch}, Node ${process.version}; medians, device and cpu interleaved.`, ``, deviceSection(r), ``].join('\n');
  await mkdir(o.out, { recursive: true });
  await writeFile(`${o.out}/bench-${o.device}.json`, JSON.stringify({ started, ...r }, null, 2));
  await writeFile(`${o.out}/bench-${o.device}.md`, md);
  process.stdout.write(`${md}\n`);
  process.exit(0);
}

const seconds = o.seconds ?? (o.quick ? 0.5 : 3);
const layers = o.quick ? [1, 4] : [1, 4, 16];
const started = new Date().toISOString();
process.stderr.write(`bench: inference (layers ${layers.join(', ')}; batch 1, 32, 256; ${seconds}s per cell)\n`);
const inference = await benchInference({ layers, batches: [1, 32, 256], seconds, seqLen: 20 });

let training: Awaited<ReturnType<typeof benchTraining>> = [];
if (o.training && existsSync(o.data)) {
  process.stderr.write(`bench: training (layers 1, 4; SST-2 from ${o.data}; ours vs PyTorch in the same run)\n`);
  // Batches vary in length, so the first pass over new shapes allocates: warm up over many of them.
  training = await benchTraining({ layers: [1, 4], steps: o.quick ? 10 : 60, warmup: o.quick ? 5 : 30, data: o.data });
} else if (o.training) process.stderr.write(`bench: training skipped — no data at ${o.data} (pass --data)\n`);

const md = [
  `# highway-onnx benchmarks`,
  ``,
  `Run ${started} on ${process.platform}/${process.arch}, Node ${process.version}. Medians over the run; "ours/raw" is the`,
  `Predictor's throughput over a raw onnxruntime-node session on the same model and batch (1.0 = no overhead).`,
  ``,
  `## Inference (Highway BiLSTM, embed 100, hidden 50 per direction, ragged lengths 5–35)`,
  ``,
  inferenceTable(inference),
  ``,
  ...(training.length > 0
    ? [`## Training (Highway BiLSTM, embed 100, hidden 50 per direction, batch 32, Adam, SST-2)`, ``, trainingTable(training), ``]
    : []),
].join('\n');
await mkdir(o.out, { recursive: true });
await writeFile(`${o.out}/bench.json`, JSON.stringify({ started, inference, training }, null, 2));
await writeFile(`${o.out}/bench.md`, md);
process.stdout.write(`${md}\n`);
