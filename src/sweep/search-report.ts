// A search's record and report: search.json (the search definition), and rebuilt from the
// cell files after every cell: results.csv (one row per cell, with its hyperparameters),
// results.md (configurations ranked by mean best-dev accuracy, the best one named),
// search.svg (dev and test accuracy per configuration) and curves.svg (dev accuracy per epoch).
import { join } from 'node:path';
import { barChart, lineChart, panelGrid, PALETTE, type LineSeries } from '../charts/index.js';
import type { Dataset, Example } from '../data/example.js';
import { ExperimentConfigError, type ExperimentSettings } from '../experiment/grid.js';
import { readCellResults, readJson, writeJsonAtomic, writeTextAtomic, type ExperimentRecord } from '../experiment/results.js';
import type { CellJobResult, SearchConfig } from './plan.js';
import type { SearchSpec } from './search.js';

/**
 * `<out>/search.json`: an experiment record (its `settings` are the shared ones; the searched
 * hyperparameters come from each configuration) plus the search's spec.
 */
export interface SearchRecord extends Omit<ExperimentRecord, 'format'> {
  format: 'highway-onnx-search/1';
  spec: SearchSpec;
}

/** One configuration's results over its seeds. Accuracies are fractions in [0, 1]. */
export interface ConfigSummary {
  config: SearchConfig;
  n: number;
  dev: number;
  test: number | null;
  params: number;
  trainSeconds: number;
}

const majority = (examples: Example[], classes: number): number => {
  const counts = new Array<number>(classes).fill(0);
  for (const e of examples) counts[e.label]!++;
  return examples.length ? Math.max(...counts) / examples.length : 0;
};

const searchKey = (r: Pick<SearchRecord, 'spec' | 'settings'>): string => {
  const { seeds: _seeds, threads: _threads, ...rest } = r.settings;
  return JSON.stringify({ spec: r.spec, settings: rest });
};

/**
 * Create or extend `<out>/search.json`. A rerun may add seeds, never change the search or the
 * shared budget: throws E_EXPERIMENT_CONFIG then (its cells would not be comparable).
 */
export async function writeSearchRecord(out: string, name: string, spec: SearchSpec, settings: ExperimentSettings, dataset: Dataset, meta: { dataLabel: string; command?: string }): Promise<SearchRecord> {
  const path = join(out, 'search.json');
  const previous = await readJson<SearchRecord>(path);
  if (previous && searchKey(previous) !== searchKey({ spec, settings })) {
    throw new ExperimentConfigError(`${out} holds a different search (${searchKey(previous)}); this run asks for ${searchKey({ spec, settings })}: choose another --out or the same search`);
  }
  const record: SearchRecord = {
    format: 'highway-onnx-search/1',
    name,
    spec,
    settings: previous ? { ...settings, seeds: [...new Set([...previous.settings.seeds, ...settings.seeds])].sort((a, b) => a - b) } : settings,
    dataLabel: meta.dataLabel,
    dataSizes: { train: dataset.train.length, dev: dataset.dev.length, test: dataset.test.length },
    majority: { dev: majority(dataset.dev, dataset.labels.length), test: majority(dataset.test, dataset.labels.length) },
    commands: [...new Set([...(previous?.commands ?? []), ...(meta.command ? [meta.command] : [])])],
    startedAt: previous?.startedAt ?? new Date().toISOString(),
  };
  await writeJsonAtomic(path, record);
  return record;
}

/** Configurations ranked by mean best-dev accuracy (ties: fewer parameters first). */
export function rankConfigs(results: CellJobResult[]): ConfigSummary[] {
  const groups = new Map<string, CellJobResult[]>();
  for (const r of results) if (r.config) groups.set(r.config.id, [...(groups.get(r.config.id) ?? []), r]);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [...groups.values()]
    .map((rs) => {
      const tests = rs.map((r) => r.testAccuracy).filter((t): t is number => t !== null);
      return { config: rs[0]!.config!, n: rs.length, dev: mean(rs.map((r) => r.bestDevAccuracy)), test: tests.length ? mean(tests) : null, params: rs[0]!.params, trainSeconds: mean(rs.map((r) => r.trainSeconds)) };
    })
    .sort((a, b) => b.dev - a.dev || a.params - b.params || a.config.id.localeCompare(b.config.id));
}

const CSV_COLUMNS = [
  'cell', 'config', 'depth', 'hidden', 'lr', 'dropout', 'gate_bias', 'seed', 'params', 'best_dev_accuracy', 'best_epoch', 'test_accuracy',
  'final_dev_accuracy', 'epochs', 'train_seconds', 'wall_seconds', 'dev_accuracy_by_epoch', 'train_loss_by_epoch',
];

/** results.csv of a search: one row per cell. */
export function searchCsv(results: CellJobResult[]): string {
  const f = (x: number, d = 4): string => x.toFixed(d);
  const rows = results.filter((r) => r.config).sort((a, b) => a.id.localeCompare(b.id)).map((r) => [
    r.id, r.config!.id, r.depth, r.config!.hidden, r.config!.lr, r.config!.dropout, r.gateBias, r.seed, r.params, f(r.bestDevAccuracy), r.bestEpoch,
    r.testAccuracy === null ? '' : f(r.testAccuracy), f(r.finalDevAccuracy), r.epochs.length, f(r.trainSeconds, 1), f(r.wallSeconds, 1),
    r.epochs.map((e) => f(e.devAccuracy)).join(' '), r.epochs.map((e) => f(e.trainLoss)).join(' '),
  ].join(','));
  return `${CSV_COLUMNS.join(',')}\n${rows.map((r) => `${r}\n`).join('')}`;
}

const pct = (x: number): string => (100 * x).toFixed(1);
const describe = (c: SearchConfig): string => `depth ${c.depth}, hidden ${c.hidden}, lr ${c.lr}, dropout ${c.dropout}, gate bias ${c.gateBias}`;

/** results.md of a search: the ranking table and the best configuration. */
export function searchMarkdown(record: SearchRecord | null, results: CellJobResult[], failed: { cell: string; reason: string }[] = []): string {
  const ranked = rankConfigs(results);
  const lines = ['# Hyperparameter search: Highway BiLSTM', ''];
  if (record) {
    const s = record.settings;
    lines.push(
      `Data: ${record.dataLabel} (${record.dataSizes.train} train / ${record.dataSizes.dev} dev / ${record.dataSizes.test} test); majority class: dev ${pct(record.majority.dev)}%, test ${pct(record.majority.test)}%.`,
      `Search: ${record.spec.mode}${record.spec.budget !== null ? `, budget ${record.spec.budget} configurations` : ''}, search seed ${record.spec.seed}; seeds ${s.seeds.join(', ')}. ` +
        `Shared budget per cell: ${s.epochs} epochs (early stopping ${s.patience >= s.epochs ? 'off' : `patience ${s.patience}`}), Adam, batch ${s.batchSize}, embedding ${s.embedDim}.`,
      ...(record.commands.length ? ['', `Command${record.commands.length > 1 ? 's' : ''}: ${record.commands.map((c) => `\`${c}\``).join(', then ')}.`] : []),
      '',
    );
  }
  if (ranked[0]) {
    const b = ranked[0];
    lines.push(`**Best configuration: ${b.config.id}** (${describe(b.config)}): dev ${pct(b.dev)}%${b.test !== null ? `, test ${pct(b.test)}%` : ''} (mean of ${b.n} seed${b.n > 1 ? 's' : ''}).`, '');
  }
  lines.push(
    'Configurations ranked by mean best-dev accuracy (%); test is measured on each run\'s best-dev checkpoint. Time: training epochs of one run.',
    '',
    '| rank | config | depth | hidden | lr | dropout | gate bias | dev | test | params | time | n |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...ranked.map((r, i) => `| ${i + 1} | ${r.config.id} | ${r.config.depth} | ${r.config.hidden} | ${r.config.lr} | ${r.config.dropout} | ${r.config.gateBias} | ${pct(r.dev)} | ${r.test === null ? '–' : pct(r.test)} | ${r.params} | ${r.trainSeconds.toFixed(0)} s | ${r.n} |`),
    '',
  );
  if (failed.length) lines.push('Failed cells:', '', ...failed.map((f) => `- ${f.cell}: ${f.reason}`), '');
  lines.push('![accuracy per configuration](search.svg)', '', 'Dev accuracy per epoch: [curves.svg](curves.svg). Every run: [results.csv](results.csv).', '');
  return `${lines.join('\n')}\n`;
}

/** search.svg: dev and test accuracy (%) per configuration, best first. */
export function searchChart(results: CellJobResult[]): string {
  const ranked = rankConfigs(results);
  return barChart(ranked.map((r) => r.config.id), [
    { name: 'dev', values: ranked.map((r) => 100 * r.dev), color: PALETTE[0] },
    { name: 'test', values: ranked.map((r) => (r.test === null ? 0 : 100 * r.test)), color: PALETTE[2] },
  ], { title: 'Accuracy per configuration (best dev first)', yLabel: 'accuracy (%)' });
}

/** curves.svg: dev accuracy per epoch of every cell, colour by configuration (best 8 named). */
export function searchCurves(results: CellJobResult[]): string {
  const order = rankConfigs(results).map((r) => r.config.id);
  const series: LineSeries[] = results
    .filter((r) => r.config)
    .sort((a, b) => order.indexOf(a.config!.id) - order.indexOf(b.config!.id) || a.seed - b.seed)
    .map((r) => ({ name: r.id, color: PALETTE[order.indexOf(r.config!.id) % PALETTE.length], points: r.epochs.map((e) => ({ x: e.epoch, y: 100 * e.devAccuracy })) }));
  return panelGrid([lineChart(series, { title: 'Dev accuracy per epoch', xLabel: 'epoch', yLabel: 'dev accuracy (%)' })], 1);
}

/** Rewrite results.csv, results.md, search.svg and curves.svg from the cell files in `out`. */
export async function writeSearchReport(out: string, failed: { cell: string; reason: string }[] = []): Promise<void> {
  const results = (await readCellResults(out)) as CellJobResult[];
  const record = await readJson<SearchRecord>(join(out, 'search.json'));
  await writeTextAtomic(join(out, 'results.csv'), searchCsv(results));
  await writeTextAtomic(join(out, 'results.md'), searchMarkdown(record, results, failed));
  await writeTextAtomic(join(out, 'search.svg'), searchChart(results));
  await writeTextAtomic(join(out, 'curves.svg'), searchCurves(results));
}
