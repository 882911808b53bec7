// Training benchmark: our training-step graph (forward + backward + Adam, one ONNX graph)
// in onnxruntime-node, against the PyTorch twin (scripts/torch/bench_train.py) trained on
// exactly the same batches in a child process of the same run.
//
// Model: Highway BiLSTM, carry projection, embed 100, hidden 50 per direction, dropout 0.5,
// Adam lr 1e-3, batch 32. Data: SST-2 train split (`sentence ||| label`, 2 dropped), lower-
// case + whitespace split, vocabulary = every train token; length-bucketed batches. Both
// sides use 2 threads and skip `warmup` steps; then timed windows alternate, ours then
// PyTorch's (the child runs a window when asked on stdin), so load from other processes hits
// both alike. steps/s and tokens/s (valid tokens only) are medians over the windows; the
// ratio is the median of the per-window ratios.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lengthBucketedBatches, padBatch, type PaddedBatch } from '../../src/data/batches.js';
import { Rng } from '../../src/data/rng.js';
import { resolveConfig, type ModelConfig } from '../../src/models/config.js';
import { initParams } from '../../src/models/init.js';
import { allocate, type Tensor } from '../../src/onnx/tensor.js';
import { optimizerState, type OptimizerSpec } from '../../src/optim/index.js';
import { DropoutBuffers, withDropout } from '../../src/train/classifier-feeds.js';
import { buildStepGraphs } from '../../src/train/step-graph.js';
import { TrainSession } from '../../src/train/node-runtime.js';
import { markdownTable, median } from './stats.js';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('../torch/bench_train.py', import.meta.url));
/**
 * Defaults for the PyTorch child (the caller's environment wins). libgomp's threads spin
 * while they wait; where other processes hold the cores, that made torch's steps ~8× slower
 * here (load 8 on 2 cores, 1 layer: 2.0 s per step, 0.25 s with OMP_WAIT_POLICY=PASSIVE).
 */
const TORCH_ENV: Record<string, string> = { OMP_WAIT_POLICY: 'PASSIVE' };

export interface TrainingBenchOptions {
  layers: number[];
  /** Timed steps per configuration (each side). */
  steps: number;
  /** SST directory (train.txt). */
  data: string;
  /** Untimed steps first (default 5). */
  warmup?: number;
  /** Timed windows; medians are taken over them (default 5). */
  windows?: number;
  /** Intra-op threads for onnxruntime and torch.set_num_threads (default 2). */
  threads?: number;
  batch?: number;
  /** Run the PyTorch baseline when torch imports (default true). */
  torch?: boolean;
  /**
   * How the embedding table is updated on both sides: 'dense' (Adam over the whole table; PyTorch
   * torch.optim.Adam) or 'lazy' (the looked-up rows only; PyTorch Embedding(sparse=True) +
   * torch.optim.SparseAdam). Default 'dense'.
   */
  embeddingUpdate?: 'dense' | 'lazy';
  /** Extra environment for the PyTorch child, e.g. { LD_LIBRARY_PATH: '<an OpenBLAS dir>' }. */
  torchEnv?: Record<string, string>;
}

export interface TrainingRow {
  layers: number;
  /** 'dense' (Adam on both sides) or 'lazy' (ours embeddingUpdate 'lazy' vs PyTorch SparseAdam). */
  embeddingUpdate: 'dense' | 'lazy';
  steps: number;
  windows: number;
  threads: number;
  vocab: number;
  /** Nodes of the training-step graph and the time to derive it. */
  nodes: number;
  buildMs: number;
  oursStepsPerSec: number;
  oursTokensPerSec: number;
  /**
   * maxRSS of the Node process that ran this row, so far (it grows monotonically over the rows
   * of one process): `benchTrainingIsolated` runs each row in a process of its own, as the
   * PyTorch side is, so the two columns compare like with like.
   */
  oursPeakRssMb: number;
  torchStepsPerSec: number | null;
  torchTokensPerSec: number | null;
  torchPeakRssMb: number | null;
  /** Median over the windows of ours / PyTorch steps per second (same batches per window). */
  ratio: number | null;
  /** The same by CPU time (all threads): PyTorch's CPU seconds / ours for the same steps. */
  cpuRatio: number | null;
  /** CPU milliseconds per step (all threads), medians. */
  oursCpuMsPerStep: number;
  torchCpuMsPerStep: number | null;
  /** Which BLAS PyTorch ran on: Debian's default reference BLAS is several times slower than OpenBLAS. */
  torchBlas: string | null;
  /** 1-minute load average when the row started: other processes on the machine slow both sides. */
  loadAvg: number;
}

interface SstData {
  encoded: number[][];
  labels: number[];
  vocabSize: number;
}

/** SST-2 train split as bench_train.py reads it (same tokens, same vocabulary ids). */
export async function readSstBinary(dir: string): Promise<SstData> {
  const text = await readFile(join(dir, 'train.txt'), 'utf8');
  const vocab = new Map<string, number>([['<pad>', 0], ['<unk>', 1]]);
  const encoded: number[][] = [];
  const labels: number[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.lastIndexOf('|||');
    const label = Number(line.slice(at + 3).trim());
    if (label === 2) continue;
    const ids = line
      .slice(0, at)
      .trim()
      .toLowerCase()
      .split(/\s+/)
      .filter((t) => t.length > 0)
      .map((t) => {
        if (!vocab.has(t)) vocab.set(t, vocab.size);
        return vocab.get(t)!;
      });
    encoded.push(ids.length > 0 ? ids : [1]);
    labels.push(label < 2 ? 0 : 1);
  }
  return { encoded, labels, vocabSize: vocab.size };
}

export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** A short name for the BLAS that bench_train.py reports. */
export function blasName(libs: string): string {
  const l = libs.toLowerCase();
  if (l.includes('openblas')) return 'OpenBLAS';
  if (l.includes('mkl')) return 'MKL';
  if (l.includes('blis')) return 'BLIS';
  if (l.includes('/blas/libblas')) return 'reference BLAS';
  return libs.split(', ')[0]?.split('/').pop() ?? 'unknown';
}

const rssMb = (): number => process.resourceUsage().maxRSS / 1024;

interface Window {
  seconds: number;
  /** CPU time of all the side's threads: less sensitive to other processes' load than wall time. */
  cpuSeconds: number;
  tokens: number;
}

/** bench_train.py --serve: warms up, then runs a window of N steps per request. */
class TorchChild {
  private readonly lines: AsyncIterator<string>;
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ReturnType<typeof spawn>) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    this.exited = new Promise((resolve) => child.on('close', resolve));
  }

  static async start(args: string[], env: Record<string, string> | undefined): Promise<{ child: TorchChild; blas: string }> {
    const proc = spawn(PYTHON, [TORCH_SCRIPT, ...args, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...TORCH_ENV, ...process.env, ...env } });
    const child = new TorchChild(proc);
    const ready = (await child.next()) as { ready: boolean; blas: string };
    return { child, blas: ready.blas };
  }

  private async next(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`${TORCH_SCRIPT} ended early (exit ${await this.exited})`);
    return JSON.parse(r.value) as Record<string, unknown>;
  }

  async window(steps: number): Promise<Window> {
    this.child.stdin!.write(`${steps}\n`);
    return (await this.next()) as unknown as Window;
  }

  /** Close its input; returns its peak RSS in MB. */
  async finish(): Promise<number> {
    this.child.stdin!.end();
    const summary = (await this.next()) as { peak_rss_mb: number };
    await this.exited;
    return summary.peak_rss_mb;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** The training benchmark's model (the PyTorch twin's shape): Highway BiLSTM, embed 100, hidden 50, projection carry, dropout 0.5, 2 classes. */
export function trainingBenchConfig(vocabSize: number, layers: number): ModelConfig {
  return resolveConfig({ kind: 'highway', layers, vocabSize, embedDim: 100, hidden: 50, classes: 2, carry: 'projection', dropout: 0.5, gatesOutput: false });
}

export async function benchTraining(opts: TrainingBenchOptions): Promise<TrainingRow[]> {
  const warmup = opts.warmup ?? 5;
  const windows = Math.max(1, Math.min(opts.windows ?? 5, opts.steps));
  const threads = opts.threads ?? 2;
  const batchSize = opts.batch ?? 32;
  const withTorch = (opts.torch ?? true) && torchAvailable();
  if ((opts.torch ?? true) && !withTorch) process.stderr.write(`  training: ${PYTHON} cannot import torch; no PyTorch baseline\n`);

  const data = await readSstBinary(opts.data);
  const plan = lengthBucketedBatches(data.encoded, batchSize, new Rng(1)).slice(0, warmup + opts.steps);
  const batches = plan.map((idx) => ({
    padded: padBatch(idx.map((i) => data.encoded[i]!)),
    labels: BigInt64Array.from(idx, (i) => BigInt(data.labels[i]!)),
  }));
  const tokensOf = (b: PaddedBatch): number => b.lengths.reduce((s, n) => s + n, 0);
  const perWindow = Array.from({ length: windows }, (_, w) => Math.floor(opts.steps / windows) + (w < opts.steps % windows ? 1 : 0));

  const dir = await mkdtemp(join(tmpdir(), 'highway-onnx-bench-'));
  const planFile = join(dir, 'batches.json');
  await writeFile(planFile, JSON.stringify(plan));
  const rows: TrainingRow[] = [];
  try {
    for (const layers of opts.layers) {
      const loadAvg = loadavg()[0]!;
      const config = trainingBenchConfig(data.vocabSize, layers);
      const embeddingUpdate = opts.embeddingUpdate ?? 'dense';
      const optimizer: OptimizerSpec = { kind: 'adam', embeddingUpdate };
      const params = initParams(config);
      const t0 = performance.now();
      const graphs = buildStepGraphs(config, optimizer, { params });
      const buildMs = performance.now() - t0;
      const state = new Map<string, Tensor>(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
      const session = await TrainSession.create(graphs, params, state, { device: 'cpu', threads });
      // Masks drawn as train() draws them: per step, into buffers reused from step to step.
      const masks = new DropoutBuffers();
      let cursor = 0;
      const step = async (): Promise<number> => {
        const { padded, labels } = batches[cursor % batches.length]!;
        cursor++;
        await session.step(withDropout({ batch: padded, labels }, config, config.seed, cursor, masks), { lr: 1e-3, step: cursor });
        return tokensOf(padded);
      };
      const oursWindow = async (n: number): Promise<Window> => {
        let tokens = 0;
        const t = performance.now();
        const c0 = process.cpuUsage();
        for (let i = 0; i < n; i++) tokens += await step();
        const c = process.cpuUsage(c0);
        return { seconds: (performance.now() - t) / 1000, cpuSeconds: (c.user + c.system) / 1e6, tokens };
      };

      for (let i = 0; i < warmup; i++) await step();
      const torch = withTorch
        ? await TorchChild.start(
            ['--data', opts.data, '--layers', String(layers), '--warmup', String(warmup), '--threads', String(threads), '--batch', String(batchSize), '--batches', planFile, ...(embeddingUpdate === 'lazy' ? ['--sparse'] : [])],
            opts.torchEnv,
          )
        : null;
      const ours: Window[] = [];
      const theirs: Window[] = [];
      let torchRss: number | null = null;
      try {
        for (const n of perWindow) {
          ours.push(await oursWindow(n));
          if (torch) theirs.push(await torch.child.window(n));
        }
        if (torch) torchRss = await torch.child.finish();
      } finally {
        torch?.child.kill();
        await session.release();
      }
      const sps = (ws: Window[]): number => median(ws.map((w, i) => perWindow[i]! / w.seconds));
      const tps = (ws: Window[]): number => median(ws.map((w) => w.tokens / w.seconds));
      const row: TrainingRow = {
        layers, embeddingUpdate, steps: opts.steps, windows, threads, vocab: data.vocabSize, nodes: graphs.nodeCount, buildMs,
        oursStepsPerSec: sps(ours), oursTokensPerSec: tps(ours), oursPeakRssMb: rssMb(),
        torchStepsPerSec: torch ? sps(theirs) : null,
        torchTokensPerSec: torch ? tps(theirs) : null,
        torchPeakRssMb: torchRss,
        ratio: torch ? median(ours.map((w, i) => theirs[i]!.seconds / w.seconds)) : null,
        cpuRatio: torch ? median(ours.map((w, i) => theirs[i]!.cpuSeconds / w.cpuSeconds)) : null,
        oursCpuMsPerStep: median(ours.map((w, i) => (1000 * w.cpuSeconds) / perWindow[i]!)),
        torchCpuMsPerStep: torch ? median(theirs.map((w, i) => (1000 * w.cpuSeconds) / perWindow[i]!)) : null,
        torchBlas: torch ? blasName(torch.blas) : null,
        loadAvg,
      };
      rows.push(row);
      process.stderr.write(
        `  training layers=${layers} (${embeddingUpdate} embedding update): ours ${row.oursStepsPerSec.toFixed(2)} steps/s, ${row.oursTokensPerSec.toFixed(0)} tokens/s (graph ${graphs.nodeCount} nodes, built in ${buildMs.toFixed(0)} ms)` +
          (torch ? `; PyTorch (${row.torchBlas}) ${row.torchStepsPerSec!.toFixed(2)} steps/s; ours/PyTorch ${row.ratio!.toFixed(3)} (CPU time ${row.cpuRatio!.toFixed(3)})` : '') +
          '\n',
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const THIS_SCRIPT = fileURLToPath(import.meta.url);

/**
 * benchTraining with each layer count in a Node process of its own (this script with --json),
 * so every row's peak RSS is that configuration's alone, as the PyTorch child's is (one process
 * running the dense and then the lazy rows reported the larger peak for all of them).
 * `torchEnv` is not passed on. Throws when a child fails, with its exit code.
 */
export async function benchTrainingIsolated(opts: TrainingBenchOptions): Promise<TrainingRow[]> {
  const rows: TrainingRow[] = [];
  for (const layers of opts.layers) {
    const args = [
      THIS_SCRIPT, '--json', '--data', opts.data, '--layers', String(layers), '--steps', String(opts.steps), '--warmup', String(opts.warmup ?? 5),
      '--windows', String(opts.windows ?? 5), '--embedding-update', opts.embeddingUpdate ?? 'dense', '--threads', String(opts.threads ?? 2),
      ...(opts.batch !== undefined ? ['--batch', String(opts.batch)] : []), ...(opts.torch === false ? ['--no-torch'] : []),
    ];
    const child = spawn(TSX, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
    if (code !== 0) throw new Error(`training bench child (layers ${layers}, ${opts.embeddingUpdate ?? 'dense'}) exited with code ${code}`);
    rows.push(...(JSON.parse(out) as TrainingRow[]));
  }
  return rows;
}

export function trainingTable(rows: TrainingRow[]): string {
  const f = (x: number | null, d = 1): string => (x === null ? '–' : x.toFixed(d));
  return markdownTable(
    ['layers', 'embedding update (ours / PyTorch)', 'ours steps/s', 'ours tokens/s', 'PyTorch steps/s', 'PyTorch tokens/s', 'ours/PyTorch', 'ours/PyTorch by CPU time', 'CPU ms/step ours / PyTorch', 'ours peak RSS MB', 'PyTorch peak RSS MB', 'PyTorch BLAS', 'step graph nodes', 'timed steps', 'load avg'],
    rows.map((r) => [
      r.layers, r.embeddingUpdate === 'lazy' ? 'lazy / SparseAdam' : 'dense Adam / Adam', f(r.oursStepsPerSec, 2), f(r.oursTokensPerSec, 0), f(r.torchStepsPerSec, 2), f(r.torchTokensPerSec, 0),
      f(r.ratio, 3), f(r.cpuRatio, 3), `${f(r.oursCpuMsPerStep, 1)} / ${f(r.torchCpuMsPerStep, 1)}`, f(r.oursPeakRssMb, 0), f(r.torchPeakRssMb, 0), r.torchBlas ?? '–', r.nodes, r.steps, f(r.loadAvg, 1),
    ]),
  );
}

// `npx tsx scripts/bench/training.ts [--data DIR] [--layers 1,4] [--steps N] [--warmup N] [--windows N] [--batch N]
//   [--embedding-update dense|lazy] [--threads 2] [--torch-blas-dir DIR] [--no-torch] [--json]`:
// this benchmark alone; --torch-blas-dir puts a BLAS directory (e.g. an OpenBLAS) on the
// PyTorch child's LD_LIBRARY_PATH; --json prints the rows as JSON instead of a table (the
// form benchTrainingIsolated reads).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string, dflt: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
  };
  const blasDir = arg('torch-blas-dir', '');
  const rows = await benchTraining({
    data: arg('data', '../shared/data/sst'),
    layers: arg('layers', '1,4').split(',').map(Number),
    steps: Number(arg('steps', '30')),
    warmup: Number(arg('warmup', '5')),
    windows: Number(arg('windows', '5')),
    embeddingUpdate: arg('embedding-update', 'dense') === 'lazy' ? 'lazy' : 'dense',
    threads: Number(arg('threads', '2')),
    ...(process.argv.includes('--batch') ? { batch: Number(arg('batch', '32')) } : {}),
    ...(process.argv.includes('--no-torch') ? { torch: false } : {}),
    ...(blasDir ? { torchEnv: { LD_LIBRARY_PATH: blasDir } } : {}),
  });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(rows)}\n` : `${trainingTable(rows)}\n`);
}
