// Inference against the PyTorch twin: the same SST-2 test sentences, the same model shape,
// both sides in child processes of this run with the same thread count, timed windows
// alternating (ours from text, ours from ids, a raw onnxruntime session, tokenization alone,
// PyTorch), medians over the windows.
//
// Model: Highway BiLSTM, carry projection, embed 100, hidden 50 per direction, 2 classes, the
// vocabulary of SST-2's train split (our tokenizer), random weights (speed does not depend
// on them). Ours: `loadModel(...).predict(texts)`, tokenization included, as a user calls it
// (the model has the gates output a trained model has). PyTorch: twin.py in eval mode under
// inference_mode() on pre-tokenised, pre-padded ids (scripts/torch/bench_infer.py). Batches:
// the test split in file order cut into batches of B (a last partial batch is left out).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readDataset } from '../../src/data/files.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { forwardFlopsPerToken, type MachinePeak } from './flops.js';
import { markdownTable, median } from './stats.js';
import { blasName, torchAvailable } from './training.js';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('../torch/bench_infer.py', import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL('./infer-child.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
/** libgomp's spinning threads make torch several times slower on a loaded machine (see training.ts). */
const TORCH_ENV: Record<string, string> = { OMP_WAIT_POLICY: 'PASSIVE' };

export interface VsTorchOptions {
  layers: number[];
  batches: number[];
  /** SST directory (train.txt for the vocabulary, test.txt for the sentences). */
  data: string;
  /** Timed windows per cell and side (medians over them); at least 5 for the report. */
  windows: number;
  /** Target length of one of our windows, seconds; PyTorch runs the same batches, so its windows last longer. */
  windowSeconds: number;
  threads: number;
  peak: MachinePeak;
}

export interface VsTorchRow {
  layers: number;
  batch: number;
  windows: number;
  /** Batches per window (the same on every side). */
  batchesPerWindow: number;
  /** Sentences per second, medians over the windows. */
  oursText: number;
  oursIds: number;
  raw: number;
  /** Tokenization and encoding alone (sentences/s). */
  tokenize: number;
  torch: number | null;
  /** Median over the windows of PyTorch's window time / ours (from text). */
  oursOverTorch: number | null;
  /** The same by CPU time (all threads of each side). */
  oursOverTorchCpu: number | null;
  /** Median over the windows of the raw session's time / the Predictor's (from ids): 1.0 = no overhead. */
  predictorOverRaw: number;
  /** The same by CPU time (all threads of each process). */
  predictorOverRawCpu: number;
  /** Useful GFLOP/s (valid tokens × forward FLOPs per token) of ours (from text) and PyTorch. */
  oursGflops: number;
  torchGflops: number | null;
  oursPeakShare: number;
  torchPeakShare: number | null;
  oursPeakRssMb: number;
  torchPeakRssMb: number | null;
}

interface Window {
  seconds: number;
  /** CPU time of all the side's threads: less sensitive to other processes' load than wall time. */
  cpuSeconds: number;
  tokens: number;
}

/** A line-protocol child: "REQUEST" → one JSON line. */
class Child {
  private readonly lines: AsyncIterator<string>;
  private readonly exited: Promise<number | null>;
  constructor(
    private readonly proc: ChildProcess,
    private readonly what: string,
  ) {
    this.lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    this.exited = new Promise((resolve) => proc.on('close', resolve));
  }

  async next<T>(): Promise<T> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`${this.what} ended early (exit ${await this.exited})`);
    return JSON.parse(r.value) as T;
  }

  async ask<T>(line: string): Promise<T> {
    this.proc.stdin!.write(`${line}\n`);
    return this.next<T>();
  }

  /** Close its input; returns its peak RSS in MB. */
  async finish(): Promise<number> {
    this.proc.stdin!.end();
    const { peak_rss_mb } = await this.next<{ peak_rss_mb: number }>();
    await this.exited;
    return peak_rss_mb;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill();
  }
}

/**
 * Run every (layers, batch) cell: our Predictor and a raw session in two child processes, the
 * PyTorch twin in a third, their windows alternating. Rows in layers-then-batch order; PyTorch
 * columns are null when /usr/bin/python3 cannot import torch.
 */
export async function benchVsTorch(opts: VsTorchOptions): Promise<{ rows: VsTorchRow[]; torchBlas: string | null; sentences: number }> {
  const withTorch = torchAvailable();
  if (!withTorch) process.stderr.write(`  inference: ${PYTHON} cannot import torch; no PyTorch baseline\n`);
  const data = await readDataset(opts.data, { format: 'sst' });
  const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
  const texts = data.test.map((e) => e.text);
  const ids = texts.map((t) => vocab.encode(tokenize(t)));
  const dir = await mkdtemp(join(tmpdir(), 'highway-onnx-vs-torch-'));
  const rows: VsTorchRow[] = [];
  let torchBlas: string | null = null;
  try {
    for (const layers of opts.layers) {
      const config = resolveConfig({ kind: 'highway', layers, vocabSize: vocab.size, embedDim: 100, hidden: 50, classes: 2, carry: 'projection' });
      const modelPath = join(dir, `model-${layers}.onnx`);
      await writeFile(modelPath, encodeModel(classifierModel(config, { vocab: vocab.decode(Array.from({ length: vocab.size }, (_, i) => i)) })));
      const flops = forwardFlopsPerToken({ layers, embedDim: 100, hidden: 50 });
      for (const batch of opts.batches) {
        const count = Math.floor(texts.length / batch);
        const plan = Array.from({ length: count }, (_, k) => ({ texts: texts.slice(k * batch, (k + 1) * batch), ids: ids.slice(k * batch, (k + 1) * batch) }));
        const planPath = join(dir, `plan-${batch}.json`);
        await writeFile(planPath, JSON.stringify(plan));
        await writeFile(`${planPath}.ids`, JSON.stringify(plan.map((b) => b.ids)));
        const row = await benchCell({ layers, batch, vocabSize: vocab.size, modelPath, planPath, count, flops, withTorch, opts });
        torchBlas = row.blas ?? torchBlas;
        rows.push(row.row);
        const r = row.row;
        process.stderr.write(
          `  inference layers=${layers} batch=${batch}: ours ${r.oursText.toFixed(0)} sent/s (ids ${r.oursIds.toFixed(0)}, raw ${r.raw.toFixed(0)}, ` +
            `Predictor/raw ${r.predictorOverRaw.toFixed(3)}, by CPU ${r.predictorOverRawCpu.toFixed(3)})${r.torch === null ? '' : `, PyTorch ${r.torch.toFixed(0)} sent/s, ours/PyTorch ${r.oursOverTorch!.toFixed(2)} (CPU time ${r.oursOverTorchCpu!.toFixed(2)})`}\n`,
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { rows, torchBlas, sentences: texts.length };
}

async function benchCell(c: {
  layers: number; batch: number; vocabSize: number; modelPath: string; planPath: string; count: number; flops: number; withTorch: boolean; opts: VsTorchOptions;
}): Promise<{ row: VsTorchRow; blas: string | null }> {
  const { opts } = c;
  const child = (role: 'predictor' | 'raw'): Child => new Child(spawn(TSX, [CHILD_SCRIPT, c.modelPath, c.planPath, String(opts.threads), role], { stdio: ['pipe', 'pipe', 'inherit'] }), `infer-child.ts ${role}`);
  const ours = child('predictor');
  const raw = child('raw');
  const torch = c.withTorch
    ? new Child(
        spawn(PYTHON, [TORCH_SCRIPT, '--batches', `${c.planPath}.ids`, '--layers', String(c.layers), '--vocab', String(c.vocabSize), '--threads', String(opts.threads)], {
          stdio: ['pipe', 'pipe', 'inherit'],
          env: { ...TORCH_ENV, ...process.env },
        }),
        'bench_infer.py',
      )
    : null;
  try {
    await ours.next();
    await raw.next();
    const ready = torch ? await torch.next<{ blas: string }>() : null;
    // Window size: as many batches as fill windowSeconds of our Predictor, at least one.
    const probe = await ours.ask<Window>('ids 1');
    const n = Math.max(1, Math.round(opts.windowSeconds / Math.max(probe.seconds, 1e-6)));
    const w: Record<'text' | 'ids' | 'raw' | 'tokenize' | 'torch', Window[]> = { text: [], ids: [], raw: [], tokenize: [], torch: [] };
    // One untimed round of every mode and side first: a few batches do not warm a JIT (ours ran
    // 3 before, and its first window at batch 1 read up to 20% slower than the rest).
    for (const mode of ['text', 'ids', 'tokenize']) await ours.ask<Window>(`${mode} ${n}`);
    await raw.ask<Window>(`raw ${n}`);
    if (torch) await torch.ask<Window>(String(n));
    for (let k = 0; k < opts.windows; k++) {
      w.text.push(await ours.ask<Window>(`text ${n}`));
      w.ids.push(await ours.ask<Window>(`ids ${n}`));
      w.raw.push(await raw.ask<Window>(`raw ${n}`));
      w.tokenize.push(await ours.ask<Window>(`tokenize ${n}`));
      if (torch) w.torch.push(await torch.ask<Window>(String(n)));
    }
    const oursRss = await ours.finish();
    await raw.finish();
    const torchRss = torch ? await torch.finish() : null;
    const sps = (ws: Window[]): number => median(ws.map((x) => (n * c.batch) / x.seconds));
    const gflops = (ws: Window[]): number => median(ws.map((x) => (x.tokens * c.flops) / x.seconds / 1e9));
    const oursGflops = gflops(w.text);
    const torchGflops = torch ? gflops(w.torch) : null;
    return {
      blas: ready ? blasName(ready.blas) : null,
      row: {
        layers: c.layers, batch: c.batch, windows: opts.windows, batchesPerWindow: n,
        oursText: sps(w.text), oursIds: sps(w.ids), raw: sps(w.raw), tokenize: sps(w.tokenize),
        torch: torch ? sps(w.torch) : null,
        oursOverTorch: torch ? median(w.text.map((x, i) => w.torch[i]!.seconds / x.seconds)) : null,
        oursOverTorchCpu: torch ? median(w.text.map((x, i) => w.torch[i]!.cpuSeconds / x.cpuSeconds)) : null,
        predictorOverRaw: median(w.ids.map((x, i) => w.raw[i]!.seconds / x.seconds)),
        predictorOverRawCpu: median(w.ids.map((x, i) => w.raw[i]!.cpuSeconds / x.cpuSeconds)),
        oursGflops, torchGflops,
        oursPeakShare: oursGflops / opts.peak.gflops,
        torchPeakShare: torchGflops === null ? null : torchGflops / opts.peak.gflops,
        oursPeakRssMb: oursRss, torchPeakRssMb: torchRss,
      },
    };
  } finally {
    ours.kill();
    raw.kill();
    torch?.kill();
  }
}

/** The inference rows as a markdown table (ratios, GFLOP/s with peak share, Predictor/raw, RSS). */
export function vsTorchTable(rows: VsTorchRow[]): string {
  const f = (x: number | null, d = 0): string => (x === null ? '–' : x.toFixed(d));
  const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
  return markdownTable(
    ['layers', 'batch', 'ours sent/s (text)', 'PyTorch sent/s (ids)', 'ours/PyTorch', 'ours/PyTorch by CPU time', 'ours GFLOP/s (peak share)', 'PyTorch GFLOP/s (peak share)', 'Predictor/raw (ids): wall, CPU', 'ours from ids', 'raw ort', 'tokenize only', 'peak RSS MB ours / PyTorch'],
    rows.map((r) => [
      r.layers, r.batch, f(r.oursText), f(r.torch), f(r.oursOverTorch, 2), f(r.oursOverTorchCpu, 2),
      `${f(r.oursGflops, 1)} (${pct(r.oursPeakShare)})`, `${f(r.torchGflops, 1)} (${pct(r.torchPeakShare)})`,
      `${f(r.predictorOverRaw, 3)}, ${f(r.predictorOverRawCpu, 3)}`, f(r.oursIds), f(r.raw), f(r.tokenize), `${f(r.oursPeakRssMb)} / ${f(r.torchPeakRssMb)}`,
    ]),
  );
}
