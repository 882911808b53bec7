// Hyperparameter search over depth, hidden size, learning rate, dropout and transform-gate
// bias: a full grid (optionally a seeded subset of it) or a seeded random search with a
// budget. Each configuration runs once per seed; everything is reproducible from the seed.
import { Rng } from '../data/rng.js';
import { ExperimentConfigError, type ExperimentSettings } from '../experiment/grid.js';
import type { PlannedCell, SearchConfig, SweepPlan } from './plan.js';

/** The values one hyperparameter may take: a list, or (random search only) a range. */
export type SearchDim =
  | { kind: 'list'; values: number[] }
  /** `log`: sampled log-uniformly (learning rates); `integer`: rounded (sizes, depths). */
  | { kind: 'range'; lo: number; hi: number; log: boolean; integer: boolean };

/** The searched hyperparameters. */
export interface SearchSpace {
  depth: SearchDim;
  hidden: SearchDim;
  lr: SearchDim;
  dropout: SearchDim;
  gateBias: SearchDim;
}

/** grid: every combination of lists; random: draws from lists and ranges. */
export type SearchMode = 'grid' | 'random';

/** How configurations are chosen. `budget`: number of configurations (random: required). */
export interface SearchSpec {
  mode: SearchMode;
  space: SearchSpace;
  budget: number | null;
  seed: number;
}

const NAMES: Record<keyof SearchSpace, string> = { depth: '--depths', hidden: '--hidden', lr: '--lr', dropout: '--dropout', gateBias: '--gate-bias' };

/**
 * Parse one dimension: "0.001,0.003" (a list) or "1e-4..1e-2" (a range, random search only).
 * `integer` dimensions need integers ≥ 1; `log` ranges need lo > 0. Throws E_EXPERIMENT_CONFIG.
 */
export function parseDim(text: string, flag: string, opts: { integer?: boolean; log?: boolean } = {}): SearchDim {
  const num = (s: string): number => {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(v)) throw new ExperimentConfigError(`${flag}: '${s}' is not a number (in '${text}')`);
    if (opts.integer && (!Number.isInteger(v) || v < 1)) throw new ExperimentConfigError(`${flag}: '${s}' is not a positive integer (in '${text}')`);
    return v;
  };
  const range = text.split('..');
  if (range.length === 2) {
    const lo = num(range[0]!);
    const hi = num(range[1]!);
    if (!(hi > lo)) throw new ExperimentConfigError(`${flag}: range '${text}' must have lo < hi`);
    if (opts.log && lo <= 0) throw new ExperimentConfigError(`${flag}: range '${text}' is sampled log-uniformly, so it must be > 0`);
    return { kind: 'range', lo, hi, log: opts.log ?? false, integer: opts.integer ?? false };
  }
  const values = [...new Set(text.split(',').filter((s) => s.trim() !== '').map(num))];
  if (values.length === 0) throw new ExperimentConfigError(`${flag}: empty list`);
  return { kind: 'list', values };
}

/** The dimension's size in a grid; throws E_EXPERIMENT_CONFIG for a range. */
function gridValues(dim: SearchDim, flag: string): number[] {
  if (dim.kind === 'range') throw new ExperimentConfigError(`${flag}: a grid search takes lists ("a,b,c"), not ranges ("lo..hi"); use --search random for ranges`);
  return dim.values;
}

function sample(dim: SearchDim, rng: Rng): number {
  if (dim.kind === 'list') return dim.values[rng.nextInt(dim.values.length)]!;
  const u = rng.nextFloat();
  const x = dim.log ? Math.exp(Math.log(dim.lo) + u * (Math.log(dim.hi) - Math.log(dim.lo))) : dim.lo + u * (dim.hi - dim.lo);
  // 3 significant digits keep configurations readable in tables and ids stable in JSON.
  return dim.integer ? Math.round(x) : Number(x.toPrecision(3));
}

const configKey = (c: Omit<SearchConfig, 'id'>): string => [c.depth, c.hidden, c.lr, c.dropout, c.gateBias].join('/');

/**
 * The configurations of a search, in a fixed order. Grid: the Cartesian product (depth, hidden,
 * lr, dropout, gate bias, last varying fastest), or with a budget a seeded subset of that size in
 * grid order. Random: `budget` distinct draws (ranges uniform, lr log-uniform; duplicates
 * redrawn, at most 100 tries each). Throws E_EXPERIMENT_CONFIG for an impossible request.
 */
export function searchConfigs(spec: SearchSpec): SearchConfig[] {
  const { space } = spec;
  const keys = Object.keys(NAMES) as (keyof SearchSpace)[];
  let points: Omit<SearchConfig, 'id'>[] = [];
  if (spec.mode === 'grid') {
    let partial: Record<string, number>[] = [{}];
    for (const k of keys) partial = partial.flatMap((p) => gridValues(space[k], NAMES[k]).map((v) => ({ ...p, [k]: v })));
    points = partial as unknown as Omit<SearchConfig, 'id'>[];
    if (spec.budget !== null && spec.budget < points.length) {
      const rng = new Rng(spec.seed);
      const chosen = new Set<number>();
      while (chosen.size < spec.budget) chosen.add(rng.nextInt(points.length));
      points = [...chosen].sort((a, b) => a - b).map((i) => points[i]!);
    }
  } else {
    if (spec.budget === null) throw new ExperimentConfigError('--search random needs --budget N (the number of configurations to try)');
    const rng = new Rng(spec.seed);
    const seen = new Set<string>();
    for (let i = 0; i < spec.budget; i++) {
      let tries = 0;
      let p: Omit<SearchConfig, 'id'>;
      do {
        p = { depth: sample(space.depth, rng), hidden: sample(space.hidden, rng), lr: sample(space.lr, rng), dropout: sample(space.dropout, rng), gateBias: sample(space.gateBias, rng) };
      } while (seen.has(configKey(p)) && ++tries < 100);
      if (seen.has(configKey(p))) throw new ExperimentConfigError(`--budget ${spec.budget}: the search space has fewer distinct configurations`);
      seen.add(configKey(p));
      points.push(p);
    }
  }
  const width = String(points.length).length < 2 ? 2 : String(points.length).length;
  return points.map((p, i) => ({ id: `c${String(i + 1).padStart(width, '0')}`, ...p }));
}

/**
 * A search as a sweep plan: every configuration × every seed of `base.seeds`, Highway BiLSTM
 * cells with the configuration's depth, hidden size, lr, dropout and gate bias; the rest of
 * `base` (epochs, batch, embedding, data) shared.
 */
export function searchPlan(name: string, base: ExperimentSettings, spec: SearchSpec): SweepPlan {
  const configs = searchConfigs(spec);
  const planned: PlannedCell[] = [];
  for (const seed of base.seeds) {
    for (const config of configs) {
      if (config.dropout < 0 || config.dropout >= 1) throw new ExperimentConfigError(`--dropout: ${config.dropout} is outside [0, 1) (configuration ${config.id})`);
      planned.push({
        cell: { id: `${config.id}-s${seed}`, depth: config.depth, kind: 'highway', seed, gateBias: config.gateBias },
        settings: { ...base, depths: [config.depth], hidden: config.hidden, lr: config.lr, dropout: config.dropout, gateBias: [{ bias: config.gateBias, maxDepth: null }] },
        config,
      });
    }
  }
  return { name, mode: 'search', settings: base, cells: planned };
}
