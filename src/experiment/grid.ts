// The depth sweep's grid: which cells (depth × kind × seed) to train, with what budget,
// and the transform-gate bias rule. A cell is one train() run; plain and highway cells of
// the same depth and seed see the same data, seed and budget.
import { CodedError } from '../errors.js';
import type { OptimizerSpec } from '../optim/index.js';
import type { CarryMode } from '../models/config.js';

export type Kind = 'plain' | 'highway';
export const KINDS: readonly Kind[] = ['plain', 'highway'];

export interface GateBiasRule {
  /** Bias applied up to and including `maxDepth` (null: every deeper net). */
  bias: number;
  maxDepth: number | null;
}

export interface ExperimentSettings {
  /** Data directory, or null for the built-in data set. */
  data: string | null;
  /**
   * SST trees only: train on every labelled phrase of the training trees (dev/test stay
   * whole sentences). Absent in sweeps recorded before phrases existed (= false).
   */
  phrases?: boolean;
  /** Which stacks to train (absent: both). A later run may add the other kind to the same sweep. */
  kinds?: Kind[];
  depths: number[];
  seeds: number[];
  /** Fixed epoch budget for every cell. */
  epochs: number;
  /** Early-stopping patience (≥ epochs: never stops early, so cells stay comparable). */
  patience: number;
  gateBias: GateBiasRule[];
  embedDim: number;
  hidden: number;
  dropout: number;
  lr: number;
  batchSize: number;
  /** Truncate training sentences to this many tokens (null: no limit). */
  maxLen: number | null;
  threads: number | null;
  /** Optimizer of every cell (absent: Adam with the training defaults, dense embedding update). */
  optimizer?: OptimizerSpec;
  /** Dev evaluations every this many steps besides the epoch ends, each competing for the best checkpoint (absent: epoch ends only). */
  evalEvery?: number;
  /** How a highway stack's first layer carries its input (absent: the model default, 'projection'). */
  carry?: CarryMode;
}

export interface Cell {
  id: string;
  depth: number;
  kind: Kind;
  seed: number;
  gateBias: number;
}

export class ExperimentConfigError extends CodedError {
  constructor(message: string) {
    super('E_EXPERIMENT_CONFIG', 'ExperimentConfigError', message);
  }
}

export const DEFAULT_GATE_BIAS = '-1:8,-2';

/** "highway" or "plain,highway" → the kinds, in KINDS order. @throws ExperimentConfigError on an unknown kind. */
export function parseKinds(text: string): Kind[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  const bad = parts.filter((p) => !(KINDS as readonly string[]).includes(p));
  if (bad.length > 0 || parts.length === 0) throw new ExperimentConfigError(`--kinds: expected a list of ${KINDS.join(', ')}, found '${text}'`);
  return KINDS.filter((k) => parts.includes(k));
}

/** "1,2,4" → [1, 2, 4]: positive integers, duplicates removed, ascending. */
/** A comma-separated list of integers ≥ `min` (default 1; seeds take 0), sorted, duplicates dropped. */
export function parseIntList(text: string, what: string, min = 1): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const out = parts.map((p) => {
    const v = Number(p);
    if (!Number.isInteger(v) || v < min || v > 0xffffffff) throw new ExperimentConfigError(`${what}: '${p}' is not ${min === 1 ? 'a positive integer' : `an integer ≥ ${min}`} (in '${text}')`);
    return v;
  });
  if (out.length === 0) throw new ExperimentConfigError(`${what}: empty list`);
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Gate-bias rule: comma-separated `BIAS[:MAXDEPTH]` entries in increasing depth; an entry
 * without `:MAXDEPTH` covers every deeper net. "-1:8,-2" = −1 up to depth 8, −2 beyond;
 * "-1" = −1 everywhere; "-1:8,-2:16,-3" follows the paper's −1/−2/−3 progression.
 */
export function parseGateBias(text: string): GateBiasRule[] {
  const rules = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((entry) => {
    const m = /^(-?\d+(?:\.\d+)?)(?::(\d+))?$/.exec(entry);
    if (!m) throw new ExperimentConfigError(`--gate-bias: '${entry}' is not BIAS or BIAS:MAXDEPTH (e.g. "-1:8,-2")`);
    return { bias: Number(m[1]), maxDepth: m[2] === undefined ? null : Number(m[2]) };
  });
  if (rules.length === 0) throw new ExperimentConfigError('--gate-bias: empty rule');
  rules.forEach((r, i) => {
    if (r.maxDepth === null && i !== rules.length - 1) throw new ExperimentConfigError(`--gate-bias: only the last entry may omit :MAXDEPTH ('${text}')`);
    if (i > 0 && r.maxDepth !== null && r.maxDepth <= rules[i - 1]!.maxDepth!) {
      throw new ExperimentConfigError(`--gate-bias: depths must increase ('${text}')`);
    }
  });
  return rules;
}

export function gateBiasFor(depth: number, rules: GateBiasRule[]): number {
  for (const r of rules) if (r.maxDepth === null || depth <= r.maxDepth) return r.bias;
  return rules[rules.length - 1]!.bias; // deeper than every bound: keep the last bias
}

export function describeGateBias(rules: GateBiasRule[]): string {
  return rules
    .map((r, i) => {
      const from = i === 0 ? 1 : rules[i - 1]!.maxDepth! + 1;
      return r.maxDepth === null ? `${r.bias} from depth ${from}` : `${r.bias} for depths ${from}–${r.maxDepth}`;
    })
    .join(', ');
}

export const cellId = (depth: number, kind: Kind, seed: number): string => `d${String(depth).padStart(2, '0')}-${kind}-s${seed}`;

/**
 * Seed-major order (every depth of seed 1 before seed 2), depth ascending, plain before
 * highway: an interrupted sweep has complete comparisons for the seeds it finished.
 */
export function cells(s: ExperimentSettings): Cell[] {
  const out: Cell[] = [];
  for (const seed of s.seeds) {
    for (const depth of s.depths) {
      for (const kind of KINDS.filter((k) => !s.kinds || s.kinds.includes(k))) out.push({ id: cellId(depth, kind, seed), depth, kind, seed, gateBias: gateBiasFor(depth, s.gateBias) });
    }
  }
  return out;
}

/** Relative cost of a cell for the ETA: per-epoch time grows about linearly with depth. */
export const cellCost = (c: Pick<Cell, 'depth'>): number => 1.5 + c.depth;

/** The settings that must match for a resumed sweep's cells to be comparable. */
export function budgetKey(s: ExperimentSettings): Record<string, unknown> {
  return {
    data: s.data, epochs: s.epochs, patience: s.patience, embedDim: s.embedDim, hidden: s.hidden, dropout: s.dropout, lr: s.lr, batchSize: s.batchSize, maxLen: s.maxLen,
    // Only when set, so sweeps recorded before the option existed keep their key.
    ...(s.phrases ? { phrases: true } : {}),
    ...(s.optimizer ? { optimizer: s.optimizer } : {}),
    ...(s.evalEvery ? { evalEvery: s.evalEvery } : {}),
    ...(s.carry ? { carry: s.carry } : {}),
  };
}

/** The flag that sets each budgetKey() entry (and each optimizer field), for naming a difference. */
const BUDGET_FLAGS: Record<string, string> = {
  data: '--data', epochs: '--epochs', patience: '--patience', embedDim: '--embed-dim', hidden: '--hidden', dropout: '--dropout', lr: '--lr',
  batchSize: '--batch', maxLen: '--max-len', phrases: '--phrases', evalEvery: '--eval-every', carry: '--carry',
  'optimizer.kind': '--optimizer', 'optimizer.weightDecay': '--weight-decay', 'optimizer.embeddingUpdate': '--embedding-update',
};

/** How an absent budgetKey() entry reads: the default it stands for. */
const BUDGET_UNSET: Record<string, string> = {
  phrases: 'off', evalEvery: 'epoch ends only', carry: 'the default', optimizer: 'adam (the default)', 'optimizer.kind': 'adam', 'optimizer.weightDecay': '0', 'optimizer.embeddingUpdate': 'dense',
};

/**
 * Each budgetKey() entry that differs between a recorded sweep and a new run, as
 * "--flag: X in the sweep, Y now" (optimizer fields one by one); empty when the budgets match.
 */
export function budgetDifferences(recorded: ExperimentSettings, now: ExperimentSettings): string[] {
  const flat = (s: ExperimentSettings): Map<string, unknown> => {
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(budgetKey(s))) {
      if (k === 'optimizer' && v && typeof v === 'object') for (const [f, x] of Object.entries(v)) m.set(`optimizer.${f}`, x);
      else m.set(k, v);
    }
    return m;
  };
  const [a, b] = [flat(recorded), flat(now)];
  const shown = (m: Map<string, unknown>, k: string): string => (m.has(k) && m.get(k) !== undefined ? JSON.stringify(m.get(k)) : BUDGET_UNSET[k] ?? 'not set');
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys.filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k))).map((k) => `${BUDGET_FLAGS[k] ?? k}: ${shown(a, k)} in the sweep, ${shown(b, k)} now`);
}
