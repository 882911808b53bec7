// The vanishing-gradient picture at the sweep's deepest depth: per-layer gradient norms
// (and highway gate activations) at initialisation and after training, plain vs highway,
// from each run's artifact.json (config, vocabulary) and best.safetensors (trained weights).
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../data/example.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { Rng } from '../data/rng.js';
import { lengthBucketedBatches, padBatch } from '../data/batches.js';
import type { ModelConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import type { ArtifactJson } from '../train/artifact.js';
import { lineChart, panelGrid, type LineSeries } from '../charts/index.js';
import { cellId, type Kind } from './grid.js';
import { readJson, runDir, writeJsonAtomic, writeTextAtomic, cellPath, type CellResult } from './results.js';
import { createGradientProbe, type ProbeMeasurement } from './gradients.js';

export interface GradientReport {
  format: 'highway-onnx-gradients/1';
  depth: number;
  seed: number;
  batches: number;
  batchSize: number;
  note: string;
  runs: {
    kind: Kind;
    cell: string;
    cellFinishedAt: string;
    gateBias: number;
    init: ProbeMeasurement;
    trained: ProbeMeasurement;
  }[];
}

export const PROBE_BATCHES = 8;
export const PROBE_BATCH_SIZE = 32;

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

export async function analyzeDeepest(out: string, depth: number, seed: number, dataset: Dataset, log: (line: string) => void): Promise<GradientReport | null> {
  const ids = (['plain', 'highway'] as const).map((k) => cellId(depth, k, seed));
  const finished: CellResult[] = [];
  for (const id of ids) {
    const r = await readJson<CellResult>(cellPath(out, id));
    if (!r || !(await exists(join(runDir(out, id), 'best.safetensors')))) {
      log(`gradient analysis skipped: ${id} has not finished (or its run directory lacks best.safetensors)`);
      return null;
    }
    finished.push(r);
  }
  const jsonPath = join(out, 'gradients.json');
  const previous = await readJson<GradientReport>(jsonPath);
  if (previous && previous.depth === depth && previous.seed === seed && previous.runs.every((r, i) => r.cellFinishedAt === finished[i]!.finishedAt)) {
    log(`gradient analysis up to date (${jsonPath})`);
    await writeTextAtomic(join(out, 'gradients.svg'), gradientChart(previous));
    return previous;
  }
  log(`gradient analysis: depth ${depth}, seed ${seed}, plain vs highway, at initialisation and after training (${PROBE_BATCHES} dev batches)`);
  const report: GradientReport = {
    format: 'highway-onnx-gradients/1',
    depth,
    seed,
    batches: PROBE_BATCHES,
    batchSize: PROBE_BATCH_SIZE,
    note: 'Per-layer norm of the gradient of the mean cross-entropy loss (no dropout) w.r.t. the layer\'s BiLSTM weights (W, R, B), averaged over dev batches; "all" includes highway gate/carry weights. Gate = mean transform-gate activation over valid tokens and units. init = the run\'s seeded initial weights; trained = its best-dev checkpoint.',
    runs: [],
  };
  for (const [i, id] of ids.entries()) {
    const dir = runDir(out, id);
    const artifact = JSON.parse(await readFile(join(dir, 'artifact.json'), 'utf8')) as ArtifactJson;
    const config: ModelConfig = artifact.config;
    const vocab = Vocabulary.fromJSON(artifact.vocab);
    const encoded = dataset.dev.map((e) => vocab.encode(tokenize(e.text)));
    // A fixed random sample of dev batches (shuffled, so not just the shortest sentences).
    const order = lengthBucketedBatches(encoded, PROBE_BATCH_SIZE, new Rng(20150722)).slice(0, PROBE_BATCHES);
    const batches = order.map((idx) => ({
      batch: padBatch(idx.map((j) => encoded[j]!)),
      labels: BigInt64Array.from(idx, (j) => BigInt(dataset.dev[j]!.label)),
    }));
    const probe = await createGradientProbe(config);
    const init = await probe.measure(initParams(config), batches);
    const trained = await probe.measure((await loadCheckpoint(join(dir, 'best.safetensors'))).params, batches);
    await probe.release();
    const r = finished[i]!;
    report.runs.push({ kind: r.kind, cell: id, cellFinishedAt: r.finishedAt, gateBias: r.gateBias, init, trained });
    const fmt = (m: ProbeMeasurement): string => `layer 1 ${m.lstmGradNorm[0]!.toExponential(2)} … layer ${depth} ${m.lstmGradNorm[depth - 1]!.toExponential(2)}`;
    log(`  ${id}: ‖∂L/∂θ‖ init ${fmt(init)}; trained ${fmt(trained)}`);
  }
  await writeJsonAtomic(jsonPath, report);
  await writeTextAtomic(join(out, 'gradients.svg'), gradientChart(report));
  return report;
}

const COLORS: Record<Kind, string> = { plain: '#d62728', highway: '#1f77b4' };

export function gradientChart(report: GradientReport): string {
  const layers = Array.from({ length: report.depth }, (_, i) => i + 1);
  const xTicks = layers.length <= 16 ? layers : layers.filter((l) => l === 1 || l % 4 === 0);
  const normSeries: LineSeries[] = report.runs.flatMap((r) => [
    { name: `${r.kind}, init`, color: COLORS[r.kind], dash: true, points: r.init.lstmGradNorm.map((y, i) => ({ x: i + 1, y })) },
    { name: `${r.kind}, trained`, color: COLORS[r.kind], points: r.trained.lstmGradNorm.map((y, i) => ({ x: i + 1, y })) },
  ]);
  const norms = lineChart(normSeries, {
    title: `Gradient norm per layer (${report.depth} layers)`,
    xLabel: 'layer (1 = next to the embedding)',
    yLabel: '‖∂L/∂θ_layer‖ (BiLSTM weights)',
    yScale: 'log',
    xTicks,
  });
  const gateSeries: LineSeries[] = report.runs
    .filter((r) => r.init.gateMean && r.trained.gateMean)
    .flatMap((r) => [
      { name: `init (gate bias ${r.gateBias})`, color: COLORS.highway, dash: true, points: r.init.gateMean!.map((y, i) => ({ x: i + 1, y })) },
      { name: 'trained', color: COLORS.highway, points: r.trained.gateMean!.map((y, i) => ({ x: i + 1, y })) },
    ]);
  const gates = lineChart(gateSeries, {
    title: 'Highway: mean transform gate T(x) per layer',
    xLabel: 'layer',
    yLabel: 'mean T(x) over tokens and units',
    xTicks,
    yMin: 0,
    yMax: 1,
  });
  return panelGrid([norms, gates], 2);
}
