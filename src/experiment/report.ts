// The sweep's report, rebuilt from the cell files after every cell: results.csv (one row
// per cell), results.md (depth × {plain, highway} table), accuracy-vs-depth.svg, curves.svg.
import { join } from 'node:path';
import { lineChart, panelGrid, type LineSeries } from '../charts/index.js';
import type { GradientReport } from './analysis.js';
import { resolveSpec } from '../optim/index.js';
import { describeGateBias, KINDS, type ExperimentSettings, type Kind } from './grid.js';
import { readCellResults, readJson, writeTextAtomic, type CellResult, type ExperimentRecord } from './results.js';

export interface Aggregate {
  depth: number;
  kind: Kind;
  n: number;
  seeds: number[];
  dev: Stat;
  test: Stat | null;
  params: number;
  trainSeconds: number;
}

export interface Stat {
  mean: number;
  min: number;
  max: number;
}

const stat = (xs: number[]): Stat => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) });

export function aggregate(results: CellResult[]): Aggregate[] {
  const groups = new Map<string, CellResult[]>();
  for (const r of results) {
    const key = `${r.depth}/${r.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()]
    .map((rs) => {
      const tests = rs.map((r) => r.testAccuracy).filter((t): t is number => t !== null);
      return {
        depth: rs[0]!.depth,
        kind: rs[0]!.kind,
        n: rs.length,
        seeds: rs.map((r) => r.seed),
        dev: stat(rs.map((r) => r.bestDevAccuracy)),
        test: tests.length ? stat(tests) : null,
        params: rs[0]!.params,
        trainSeconds: rs.reduce((a, r) => a + r.trainSeconds, 0) / rs.length,
      };
    })
    .sort((a, b) => a.depth - b.depth || a.kind.localeCompare(b.kind));
}

const CSV_COLUMNS = [
  'cell', 'depth', 'kind', 'seed', 'gate_bias', 'params', 'best_dev_accuracy', 'best_epoch', 'test_accuracy',
  'final_dev_accuracy', 'epochs', 'train_seconds', 'wall_seconds', 'dev_accuracy_by_epoch', 'train_loss_by_epoch',
];

export function resultsCsv(results: CellResult[]): string {
  const f = (x: number, d = 4): string => x.toFixed(d);
  const rows = results.map((r) => [
    r.id, r.depth, r.kind, r.seed, r.kind === 'highway' ? r.gateBias : '', r.params, f(r.bestDevAccuracy), r.bestEpoch,
    r.testAccuracy === null ? '' : f(r.testAccuracy), f(r.finalDevAccuracy), r.epochs.length, f(r.trainSeconds, 1), f(r.wallSeconds, 1),
    r.epochs.map((e) => f(e.devAccuracy)).join(' '), r.epochs.map((e) => f(e.trainLoss)).join(' '),
  ].join(','));
  return `${CSV_COLUMNS.join(',')}\n${rows.map((r) => `${r}\n`).join('')}`;
}

const pct = (x: number): string => (100 * x).toFixed(1);
/** "Adam", "AdamW (weight decay 0.01)", "Adam (lazy embedding update: SparseAdam)". */
function describeOptimizer(spec: ExperimentSettings['optimizer']): string {
  if (!spec) return 'Adam';
  const o = resolveSpec(spec); // defaults spelled out: AdamW's weight decay when none was given
  const name = o.kind === 'adamw' ? 'AdamW' : o.kind === 'sgd' ? 'SGD' : 'Adam';
  const extras = [
    ...(o.weightDecay ? [`weight decay ${o.weightDecay}`] : []),
    ...('embeddingUpdate' in o && o.embeddingUpdate === 'lazy' ? ['lazy embedding update: SparseAdam'] : []),
  ];
  return extras.length > 0 ? `${name} (${extras.join(', ')})` : name;
}
/** "81.2 ± 0.4": mean ± half the min–max spread (with 2 seeds: half their difference). */
const cell = (s: Stat | null, n: number): string => (s === null ? '–' : n > 1 ? `${pct(s.mean)} ± ${((100 * (s.max - s.min)) / 2).toFixed(1)}` : pct(s.mean));
const fmtParams = (p: number): string => (p >= 1e6 ? `${(p / 1e6).toFixed(2)}M` : `${(p / 1e3).toFixed(0)}k`);
const fmtTime = (s: number): string => (s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

export function resultsMarkdown(record: ExperimentRecord | null, results: CellResult[], gradients: GradientReport | null): string {
  const agg = aggregate(results);
  const depths = [...new Set(agg.map((a) => a.depth))].sort((a, b) => a - b);
  const find = (d: number, k: Kind): Aggregate | undefined => agg.find((a) => a.depth === d && a.kind === k);
  const lines: string[] = ['# Depth sweep: plain vs Highway BiLSTM', ''];
  if (record) {
    const s = record.settings;
    lines.push(
      `Data: ${record.dataLabel} (${record.dataSizes.train} train${s.phrases ? ' phrases: every labelled node of the training trees' : ''} / ` +
        `${record.dataSizes.dev} dev / ${record.dataSizes.test} test${s.phrases ? ' sentences' : ''}); ` +
        `majority class: dev ${pct(record.majority.dev)}%, test ${pct(record.majority.test)}%.`,
      `Budget per cell: ${s.epochs} epochs (early stopping ${s.patience >= s.epochs ? 'off' : `patience ${s.patience}`}${s.evalEvery ? `, dev evaluated every ${s.evalEvery} steps and at epoch ends` : ''}), ` +
        `${describeOptimizer(s.optimizer)} lr ${s.lr}, batch ${s.batchSize}, ` +
        `embedding ${s.embedDim}, hidden ${s.hidden} per direction, dropout ${s.dropout}, random-init embeddings; ` +
        `highway transform-gate bias ${describeGateBias(s.gateBias)}, carry '${s.carry ?? 'projection'}' (layer 1).`,
      `Seeds: ${s.seeds.join(', ')} (cells finished: ${results.length}).`,
      ...(record.commands?.length ? ['', `Command${record.commands.length > 1 ? 's' : ''}: ${record.commands.map((c) => `\`${c}\``).join(', then ')}.`] : []),
      '',
    );
  }
  lines.push(
    `Accuracy (%) at the best dev ${record?.settings.evalEvery ? 'evaluation (every ' + record.settings.evalEvery + ' steps and each epoch end)' : 'epoch'}; test is measured on that checkpoint. With several seeds: mean ± half the min–max spread (n = seeds run). Time: training epochs of one run.`,
    '',
    '| depth | plain dev | plain test | highway dev | highway test | params plain | params highway | time plain | time highway | n (plain/highway) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
  );
  for (const d of depths) {
    const p = find(d, 'plain');
    const h = find(d, 'highway');
    lines.push(
      `| ${d} | ${p ? cell(p.dev, p.n) : '–'} | ${p ? cell(p.test, p.n) : '–'} | ${h ? cell(h.dev, h.n) : '–'} | ${h ? cell(h.test, h.n) : '–'} | ` +
        `${p ? fmtParams(p.params) : '–'} | ${h ? fmtParams(h.params) : '–'} | ${p ? fmtTime(p.trainSeconds) : '–'} | ${h ? fmtTime(h.trainSeconds) : '–'} | ${p?.n ?? 0}/${h?.n ?? 0} |`,
    );
  }
  lines.push('', '![accuracy vs depth](accuracy-vs-depth.svg)', '', 'Training curves per cell: [curves.svg](curves.svg). Every run: [results.csv](results.csv).', '');
  if (gradients) {
    lines.push(`## Gradient norms at depth ${gradients.depth} (seed ${gradients.seed})`, '', gradients.note, '', '![gradient norms](gradients.svg)', '');
    lines.push('| run | ‖∂L/∂θ‖ layer 1 | layer ' + gradients.depth + ' | ratio layer 1 / layer ' + gradients.depth + ' | mean gate (layers 1…' + gradients.depth + ') |', '|---|---:|---:|---:|---|');
    for (const r of gradients.runs) {
      for (const [when, m] of [['init', r.init], ['trained', r.trained]] as const) {
        const first = m.lstmGradNorm[0]!;
        const last = m.lstmGradNorm[m.lstmGradNorm.length - 1]!;
        const gates = m.gateMean ? m.gateMean.map((g) => g.toFixed(2)).join(' ') : '–';
        lines.push(`| ${r.kind}, ${when} | ${first.toExponential(2)} | ${last.toExponential(2)} | ${(first / last).toExponential(1)} | ${gates} |`);
      }
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

const COLORS: Record<Kind, string> = { plain: '#d62728', highway: '#1f77b4' };

export function accuracyChart(results: CellResult[], record: ExperimentRecord | null): string {
  const agg = aggregate(results);
  const depths = [...new Set(agg.map((a) => a.depth))].sort((a, b) => a - b);
  const panel = (which: 'dev' | 'test'): string => {
    const series: LineSeries[] = KINDS.map((kind) => ({
      name: kind === 'highway' ? 'Highway BiLSTM' : 'plain BiLSTM',
      color: COLORS[kind],
      points: agg
        .filter((a) => a.kind === kind && (which === 'dev' || a.test))
        .map((a) => {
          const s = which === 'dev' ? a.dev : a.test!;
          return { x: a.depth, y: 100 * s.mean, ...(a.n > 1 ? { lo: 100 * s.min, hi: 100 * s.max } : {}) };
        }),
    }));
    const majority = record ? record.majority[which] : null;
    return lineChart(series, {
      title: `${which === 'dev' ? 'Dev' : 'Test'} accuracy vs depth`,
      xLabel: 'layers',
      yLabel: 'accuracy (%)',
      xTicks: depths,
      ...(majority !== null ? { references: [{ y: 100 * majority, label: 'majority class' }] } : {}),
    });
  };
  return panelGrid([panel('dev'), panel('test')], 2, { title: 'Plain vs Highway BiLSTM by depth (bars: min–max over seeds)' });
}

export function curvesChart(results: CellResult[]): string {
  const depths = [...new Set(results.map((r) => r.depth))].sort((a, b) => a - b);
  const seeds = [...new Set(results.map((r) => r.seed))].sort((a, b) => a - b);
  const panels: string[] = [];
  for (const d of depths) {
    const rs = results.filter((r) => r.depth === d);
    const name = (r: CellResult): string => `${r.kind} s${r.seed}`;
    const dash = (r: CellResult): boolean => seeds.indexOf(r.seed) > 0;
    const loss: LineSeries[] = rs.map((r) => ({
      name: name(r), color: COLORS[r.kind], dash: dash(r), markers: false,
      points: r.lossCurve.length > 0 ? r.lossCurve.map((p) => ({ x: p.epoch, y: p.loss })) : r.epochs.map((e) => ({ x: e.epoch, y: e.trainLoss })),
    }));
    const dev: LineSeries[] = rs.map((r) => ({
      name: name(r), color: COLORS[r.kind], dash: dash(r),
      points: r.epochs.map((e) => ({ x: e.epoch, y: 100 * e.devAccuracy })),
    }));
    const size = { width: 420, height: 260 };
    panels.push(
      lineChart(loss, { ...size, title: `${d} layer${d > 1 ? 's' : ''}: training loss`, xLabel: 'epoch' }),
      lineChart(dev, { ...size, title: `${d} layer${d > 1 ? 's' : ''}: dev accuracy (%)`, xLabel: 'epoch' }),
    );
  }
  return panelGrid(panels, 2, { title: 'Training curves per cell (solid: first seed, dashed: others)' });
}

/** Rewrite results.csv, results.md and the charts from the cell files in `out`. */
export async function writeReport(out: string): Promise<void> {
  const results = await readCellResults(out);
  const record = await readJson<ExperimentRecord>(join(out, 'experiment.json'));
  const gradients = await readJson<GradientReport>(join(out, 'gradients.json'));
  await writeTextAtomic(join(out, 'results.csv'), resultsCsv(results));
  await writeTextAtomic(join(out, 'results.md'), resultsMarkdown(record, results, gradients));
  await writeTextAtomic(join(out, 'accuracy-vs-depth.svg'), accuracyChart(results, record));
  await writeTextAtomic(join(out, 'curves.svg'), curvesChart(results));
}
