// Runs the depth sweep: every cell of the grid through train(), skipping cells whose
// result file exists (so an interrupted sweep continues where it stopped), rewriting the
// report after each cell, and printing sweep-level progress with an ETA.
import { access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readDataset } from '../data/files.js';
import { builtinDataset } from '../data/builtin.js';
import type { Dataset, Example } from '../data/example.js';
import { runCell } from './cell.js';
import { budgetDifferences, cellCost, cells, describeGateBias, ExperimentConfigError, KINDS, type Cell, type ExperimentSettings } from './grid.js';
import { cellPath, readCellResults, readJson, writeJsonAtomic, type CellResult, type ExperimentRecord } from './results.js';
import { writeReport } from './report.js';
import { analyzeDeepest } from './analysis.js';

export interface RunExperimentOptions {
  out: string;
  settings: ExperimentSettings;
  /** Per-run progress bars from train(). */
  progress?: boolean;
  /** Per-layer gradient norms and gate activations at the deepest depth (default true). */
  gradients?: boolean;
  /** Recorded in experiment.json and the report. */
  command?: string;
  log?: (line: string) => void;
  /** A loaded dataset instead of settings.data (tests). */
  dataset?: Dataset;
}

export interface ExperimentSummary {
  results: CellResult[];
  ran: number;
  skipped: number;
  /** Cells that threw; they stay pending for the next run. */
  failed: string[];
  seconds: number;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function majority(examples: Example[], classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (const e of examples) counts[e.label]!++;
  return examples.length ? Math.max(...counts) / examples.length : 0;
}

async function loadData(opts: RunExperimentOptions): Promise<Dataset> {
  return opts.dataset ?? sweepDataset(opts.settings);
}

/** The data a sweep's cells train on: its directory (phrase-level when the settings say so), or the built-in set. */
export function sweepDataset(s: Pick<ExperimentSettings, 'data' | 'phrases'>): Promise<Dataset> {
  return s.data ? readDataset(s.data, s.phrases ? { phrases: true } : {}) : Promise.resolve(builtinDataset());
}

export async function runExperiment(opts: RunExperimentOptions): Promise<ExperimentSummary> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { out, settings } = opts;
  const t0 = performance.now();
  const dataset = await loadData(opts);

  const record = await writeExperimentRecord(out, settings, dataset, { dataLabel: opts.dataset ? 'given dataset' : settings.data ?? 'built-in data', ...(opts.command ? { command: opts.command } : {}) });

  const grid = cells(settings);
  const pending: Cell[] = [];
  for (const c of grid) if (!(await exists(cellPath(out, c.id)))) pending.push(c);
  const skipped = grid.length - pending.length;
  log(
    `sweep ${out}: ${grid.length} cells (depths ${settings.depths.join(',')} × ${(settings.kinds ?? KINDS).join('/')} × seeds ${settings.seeds.join(',')}), ` +
      `${settings.epochs} epochs each, gate bias ${describeGateBias(settings.gateBias)}; ${skipped} already done, ${pending.length} to run`,
  );

  // ETA: seconds per unit of cellCost, from cells finished in this invocation, else from earlier ones.
  const earlier = await readCellResults(out);
  let spentCost = 0;
  let spentSeconds = 0;
  const rate = (): number | null => {
    if (spentCost > 0) return spentSeconds / spentCost;
    const usable = earlier.filter((r) => r.wallSeconds > 0);
    if (usable.length === 0) return null;
    return usable.reduce((a, r) => a + r.wallSeconds, 0) / usable.reduce((a, r) => a + cellCost(r), 0);
  };

  let ran = 0;
  const failed: string[] = [];
  for (const [i, cell] of pending.entries()) {
    const remainingCost = pending.slice(i).reduce((a, c) => a + cellCost(c), 0);
    const r = rate();
    const elapsed = (performance.now() - t0) / 1000;
    log(
      `[sweep ${skipped + i + 1}/${grid.length} | elapsed ${formatDuration(elapsed)} | ETA ${r === null ? '?' : formatDuration(r * remainingCost)}] ` +
        `${cell.id}: ${cell.kind} ${cell.depth}-layer, seed ${cell.seed}${cell.kind === 'highway' ? `, gate bias ${cell.gateBias}` : ''}`,
    );
    const c0 = performance.now();
    let result: CellResult;
    try {
      result = await runCell(cell, { out: opts.out, settings: opts.settings, dataset, progress: opts.progress ?? false, log });
    } catch (e) {
      // One failing cell (e.g. a diverged run) must not cost the rest of the sweep; it stays
      // pending, so a rerun retries it from its last checkpoint.
      failed.push(cell.id);
      log(`  ${cell.id} FAILED: ${(e as Error).message}`);
      continue;
    }
    const secs = (performance.now() - c0) / 1000;
    spentCost += cellCost(cell);
    spentSeconds += secs;
    ran++;
    const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
    log(`  ${cell.id} done in ${formatDuration(secs)}: best dev ${pct(result.bestDevAccuracy)} (epoch ${result.bestEpoch}), test ${pct(result.testAccuracy)}`);
    await writeReport(out);
  }

  if (opts.gradients ?? true) {
    const deepest = Math.max(...record.settings.depths);
    await analyzeDeepest(out, deepest, record.settings.seeds[0]!, dataset, log);
  }
  await writeReport(out);
  const results = await readCellResults(out);
  const seconds = (performance.now() - t0) / 1000;
  log(
    `sweep done: ${ran} cells run, ${skipped} skipped${failed.length ? `, ${failed.length} FAILED (${failed.join(', ')}; rerun to retry)` : ''}, ` +
      `${formatDuration(seconds)}; report in ${join(out, 'results.md')}`,
  );
  return { results, ran, skipped, failed, seconds };
}

/**
 * Create or extend `<out>/experiment.json` (settings, data sizes, majority-class accuracy, command
 * lines). A rerun may grow the grid (depths, seeds) but never change the budget: throws
 * E_EXPERIMENT_CONFIG when `settings` differ from the recorded ones in budgetKey().
 */
export async function writeExperimentRecord(
  out: string,
  settings: ExperimentSettings,
  dataset: Dataset,
  meta: { dataLabel: string; command?: string },
): Promise<ExperimentRecord> {
  // A rerun may change the depths and seeds (the grid grows), never the budget.
  const recordPath = join(out, 'experiment.json');
  const previous = await readJson<ExperimentRecord>(recordPath);
  if (previous) {
    const differences = budgetDifferences(previous.settings, settings);
    if (differences.length > 0) {
      throw new ExperimentConfigError(
        `${out} holds a sweep with a different budget (${differences.join('; ')}). Cells would not be comparable: choose another --out or the same settings.`,
      );
    }
  }
  const record: ExperimentRecord = {
    format: 'highway-onnx-experiment/1',
    name: basename(out),
    settings: previous ? grown(previous.settings, settings) : settings,
    dataLabel: meta.dataLabel,
    dataSizes: { train: dataset.train.length, dev: dataset.dev.length, test: dataset.test.length },
    majority: { dev: majority(dataset.dev, dataset.labels.length), test: majority(dataset.test, dataset.labels.length) },
    commands: [...new Set([...earlierCommands(previous), ...(meta.command ? [meta.command] : [])])],
    startedAt: previous?.startedAt ?? new Date().toISOString(),
  };
  await writeJsonAtomic(recordPath, record);
  return record;
}

/** Commands of an existing record (records before `commands` existed held one `command`). */
function earlierCommands(previous: ExperimentRecord | null): string[] {
  if (!previous) return [];
  const legacy = (previous as unknown as { command?: string }).command;
  return previous.commands ?? (legacy ? [legacy] : []);
}

/** The grid a rerun grows a sweep to: depths, seeds and kinds of both runs (kinds absent = both). */
function grown(previous: ExperimentSettings, now: ExperimentSettings): ExperimentSettings {
  const { kinds: _, ...rest } = now;
  const kinds = previous.kinds && now.kinds ? KINDS.filter((k) => previous.kinds!.includes(k) || now.kinds!.includes(k)) : undefined;
  return { ...rest, depths: union(previous.depths, now.depths), seeds: union(previous.seeds, now.seeds), ...(kinds && kinds.length < KINDS.length ? { kinds } : {}) };
}

function union(a: number[], b: number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
