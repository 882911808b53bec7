// Command-line flags of `highway-onnx sweep` → a sweep plan (depth grid or search).
import { basename, join } from 'node:path';
import { DEFAULT_GATE_BIAS, ExperimentConfigError } from '../experiment/grid.js';
import { settingsFromFlags } from './experiment.js';
import { DEFAULT_CONFIG } from '../models/config.js';
import { TRAIN_DEFAULTS } from '../train/options.js';
import { depthPlan, type SweepPlan } from '../sweep/plan.js';
import { parseDim, searchPlan, type SearchMode, type SearchSpec } from '../sweep/search.js';

/** The sweep command's flags as commander hands them over (hyperparameters as text: lists or ranges in a search). */
export interface SweepFlags {
  data?: string;
  builtin?: boolean;
  depths?: string;
  seeds?: string;
  epochs?: number;
  patience?: number;
  gateBias?: string;
  embedDim?: number;
  hidden?: string;
  dropout?: string;
  lr?: string;
  batch: number;
  maxLen?: number;
  threads?: number;
  out?: string;
  quick?: boolean;
  name?: string;
  search?: SearchMode;
  budget?: number;
  searchSeed: number;
}

const single = (text: string | undefined, flag: string, fallback: number): number => {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) {
    throw new ExperimentConfigError(`${flag}: expected one number in a depth sweep, found '${text}' (lists and ranges are for --search)`);
  }
  return v;
};

/**
 * Build the plan: without --search the depth grid (exactly `npm run experiment`'s settings and
 * defaults), with --search grid|random a search over --depths, --hidden, --lr, --dropout and
 * --gate-bias (lists; ranges "lo..hi" for random). Throws E_EXPERIMENT_CONFIG on bad values.
 */
export function planFromFlags(o: SweepFlags): { plan: SweepPlan; out: string; search?: SearchSpec } {
  const { hidden: _hidden, dropout: _dropout, lr: _lr, ...common } = o;
  if (!o.search) {
    const hidden = o.hidden === undefined ? undefined : single(o.hidden, '--hidden', 0);
    if (hidden !== undefined && (!Number.isInteger(hidden) || hidden < 1)) throw new ExperimentConfigError(`--hidden: expected a positive integer, found '${o.hidden}'`);
    const { settings, out } = settingsFromFlags({
      ...common,
      gateBias: o.gateBias ?? DEFAULT_GATE_BIAS,
      dropout: single(o.dropout, '--dropout', DEFAULT_CONFIG.dropout),
      lr: single(o.lr, '--lr', TRAIN_DEFAULTS.lr),
      progress: false,
      gradients: true,
      ...(hidden !== undefined ? { hidden } : {}),
    });
    return { plan: depthPlan(o.name ?? basename(out), settings), out };
  }
  if (o.budget !== undefined && o.budget < 1) throw new ExperimentConfigError(`--budget: expected a positive integer, found ${o.budget}`);
  const { settings: base } = settingsFromFlags({ ...common, depths: '1', gateBias: '-1', dropout: DEFAULT_CONFIG.dropout, lr: TRAIN_DEFAULTS.lr, progress: false, gradients: false });
  const spec: SearchSpec = {
    mode: o.search,
    budget: o.budget ?? null,
    seed: o.searchSeed,
    space: {
      depth: parseDim(o.depths ?? (o.quick ? '1,2' : '1,2,4'), '--depths', { integer: true }),
      hidden: parseDim(o.hidden ?? String(base.hidden), '--hidden', { integer: true }),
      lr: parseDim(o.lr ?? String(TRAIN_DEFAULTS.lr), '--lr', { log: true }),
      dropout: parseDim(o.dropout ?? String(DEFAULT_CONFIG.dropout), '--dropout'),
      gateBias: parseDim(o.gateBias ?? '-1', '--gate-bias'),
    },
  };
  const out = o.out ?? join('experiments', o.quick ? 'quick-search' : 'search');
  return { plan: searchPlan(o.name ?? basename(out), base, spec), out, search: spec };
}
