// On-disk records of a sweep: experiment.json (settings), cells/<id>.json (one finished
// cell each — its existence is what makes a rerun skip the cell). Written atomically.
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic-write.js';
import { dirname, join } from 'node:path';
import type { EpochRecord } from '../train/trainer.js';
import type { ExperimentSettings, Kind } from './grid.js';

export interface CellResult {
  id: string;
  depth: number;
  kind: Kind;
  seed: number;
  gateBias: number;
  params: number;
  bestDevAccuracy: number;
  bestEpoch: number;
  testAccuracy: number | null;
  /** Dev accuracy after the last epoch. */
  finalDevAccuracy: number;
  /** Seconds spent in training epochs (sum over epochs, resumed parts included). */
  trainSeconds: number;
  /** Wall time of the cell's last train() call (graph building and evaluation included). */
  wallSeconds: number;
  epochs: EpochRecord[];
  /** Smoothed training loss: x in epochs (fractional), from the last uninterrupted invocation. */
  lossCurve: { epoch: number; loss: number }[];
  finishedAt: string;
}

export interface ExperimentRecord {
  format: 'highway-onnx-experiment/1';
  name: string;
  settings: ExperimentSettings;
  dataLabel: string;
  dataSizes: { train: number; dev: number; test: number };
  /** Accuracy of always predicting the most frequent class. */
  majority: { dev: number; test: number };
  /** Every distinct command line that ran this sweep, first to last (a resumed sweep adds one). */
  commands: string[];
  startedAt: string;
}

/** Writes `value` as JSON to `path` (folders created) through the atomic writer. @throws FileWriteError (E_WRITE) */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(value, null, 1)}\n`);
}

/** Writes `text` to `path` (folders created) through the atomic writer. @throws FileWriteError (E_WRITE) */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
}

export async function readJson<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  return JSON.parse(text) as T;
}

export const cellsDir = (out: string): string => join(out, 'cells');
export const cellPath = (out: string, id: string): string => join(cellsDir(out), `${id}.json`);
export const runDir = (out: string, id: string): string => join(out, 'runs', id);

/** Every finished cell of a sweep directory, sorted by depth, kind, seed. */
export async function readCellResults(out: string): Promise<CellResult[]> {
  let names: string[];
  try {
    names = await readdir(cellsDir(out));
  } catch {
    return [];
  }
  const results: CellResult[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const r = await readJson<CellResult>(join(cellsDir(out), name));
    if (r) results.push(r);
  }
  return results.sort((a, b) => a.depth - b.depth || a.kind.localeCompare(b.kind) || a.seed - b.seed);
}

/** Epoch records from a run's metrics.jsonl (a resumed run may repeat one: the last wins). */
export async function readEpochRecords(dir: string): Promise<EpochRecord[]> {
  let text: string;
  try {
    text = await readFile(join(dir, 'metrics.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const byEpoch = new Map<number, EpochRecord>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { type?: string } & EpochRecord;
    if (r.type !== 'epoch') continue;
    const { type: _type, ...rec } = r;
    byEpoch.set(rec.epoch, rec);
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}
