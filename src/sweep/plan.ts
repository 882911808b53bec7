// What a sweep is, independent of where it runs: a name and a list of cells, each with its
// own hyperparameters. The depth grid gives every cell the sweep's settings; a search gives
// every configuration its own depth, hidden size, learning rate, dropout and gate bias.
import { cells, type Cell, type ExperimentSettings } from '../experiment/grid.js';
import type { CellResult } from '../experiment/results.js';

/** One point of a hyperparameter search (every cell of it differs only in seed). */
export interface SearchConfig {
  /** "c01", "c02", …: the configuration's index in the search order. */
  id: string;
  depth: number;
  hidden: number;
  lr: number;
  dropout: number;
  gateBias: number;
}

/** A cell and the settings it trains with. */
export interface PlannedCell {
  cell: Cell;
  settings: ExperimentSettings;
  /** Search cells only: the configuration the cell belongs to. */
  config?: SearchConfig;
}

/** Every cell of one sweep. `mode` picks the report: the depth table or the search ranking. */
export interface SweepPlan {
  name: string;
  mode: 'depth' | 'search';
  /** The shared settings (for a search: everything but the searched hyperparameters). */
  settings: ExperimentSettings;
  cells: PlannedCell[];
}

/** A finished cell as a job returns it: the cell record, plus its configuration in a search. */
export type CellJobResult = CellResult & { config?: SearchConfig };

/** The data of one BullMQ job: everything a worker on any machine needs to run the cell. */
export interface CellJobData {
  format: 'highway-onnx-cell-job/1';
  sweep: string;
  /** Artifact directory of this sweep (runs and checkpoints go to `<artifacts>/runs/<cell>`). */
  artifacts: string;
  cell: Cell;
  settings: ExperimentSettings;
  config?: SearchConfig;
}

/** The depth grid (depth × plain/highway × seed) as a plan; every cell shares `settings`. */
export function depthPlan(name: string, settings: ExperimentSettings): SweepPlan {
  return { name, mode: 'depth', settings, cells: cells(settings).map((cell) => ({ cell, settings })) };
}

/**
 * BullMQ job id of a cell: unique per sweep and cell, so enqueueing a sweep again adds
 * nothing twice (BullMQ ignores an add whose id exists). ':' is reserved by BullMQ.
 */
export const jobId = (sweep: string, cellId: string): string => `${sweep}__${cellId}`;
