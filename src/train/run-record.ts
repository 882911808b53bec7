// The settings a run was made with, stored in every checkpoint: `--resume` takes the settings
// it is not given from there, and refuses (listing each) those given differently — a resumed
// run that silently trained with another batch size or learning rate would be neither run.
import type { DataFormat } from '../data/files.js';
import { createHash } from 'node:crypto';
import type { ModelConfig } from '../models/config.js';
import type { Dataset } from '../data/example.js';
import type { TokenizerOptions } from '../data/tokenizer.js';
import { resolveSpec, type OptimizerSpec, type ResolvedSpec } from '../optim/index.js';
import { ResumeMismatchError } from './errors.js';

/** A run's settings as stored in its checkpoints (metadata 'run', JSON). */
export interface RunRecord {
  format: 'highway-onnx-run/1';
  config: ModelConfig;
  optimizer: ResolvedSpec;
  lr: number;
  /** The only setting a resume may change freely: raising it trains further. */
  epochs: number;
  batchSize: number;
  patience: number;
  minFreq: number;
  maxLen: number | null;
  seed: number;
  embeddings: string | null;
  /** Data directory (absolute, so a resume from another folder finds it); null for the built-in data or a dataset passed in memory. */
  data: string | null;
  fiveClass: boolean;
  /** How the data directory was read: its format (absent: detected) and phrase-level training (absent: sentences). */
  dataFormat?: DataFormat;
  phrases?: 'all' | 'distinct';
  /** TSV/CSV columns or JSONL fields read (absent: 'text' and 'label'). */
  textColumn?: string;
  labelColumn?: string;
  /** sha256 of the vocabulary and labels: different data gives different word ids. */
  vocabDigest: string;
  /** Switchable tokenizer rules (absent in older records: the defaults). */
  tokenizer?: TokenizerOptions;
  classWeights?: 'none' | 'balanced';
  selectBy?: 'accuracy' | 'macro-f1';
  /** Dev evaluations every this many steps besides the epoch ends (absent: epoch ends only). */
  evalEvery?: number;
  /** Per split: example count and sha256 of its examples (text, label name); absent in older records. */
  dataDigest?: DataDigest;
}

/** What identifies the data a run trained on, split by split. */
export type DataDigest = Record<'train' | 'dev' | 'test', { examples: number; sha256: string }>;

/**
 * Digest of each split's examples (text and label name, in order): a changed, added, removed or
 * relabelled row changes it, whatever the file format; the same rows in another format do not.
 */
export function dataDigest(ds: Pick<Dataset, 'train' | 'dev' | 'test' | 'labels'>): DataDigest {
  const one = (xs: Dataset['train']): { examples: number; sha256: string } => {
    const h = createHash('sha256');
    for (const e of xs) h.update(JSON.stringify([e.text, ds.labels[e.label] ?? e.label])).update('\n');
    return { examples: xs.length, sha256: h.digest('hex') };
  };
  return { train: one(ds.train), dev: one(ds.dev), test: one(ds.test) };
}

/** `train: 100 examples (sha256 1a2b3c4d…) in the run, 102 (9f8e7d6c…) now`, one per changed split. */
export function dataDifferences(saved: DataDigest, now: DataDigest): string[] {
  return (['train', 'dev', 'test'] as const)
    .filter((k) => saved[k].sha256 !== now[k].sha256)
    .map((k) => `${k}: ${saved[k].examples} examples (sha256 ${saved[k].sha256.slice(0, 12)}…) in the run, ${now[k].examples} (${now[k].sha256.slice(0, 12)}…) now`);
}

/** sha256 (hex) over the vocabulary tokens and labels, in order. */
export function vocabDigest(tokens: readonly string[], labels: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([tokens, labels])).digest('hex');
}

/** The record stored by a checkpoint, or null when it has none (older checkpoints) or not ours. */
export function savedRunRecord(run: Record<string, unknown> | undefined): RunRecord | null {
  return run && run.format === 'highway-onnx-run/1' ? (run as unknown as RunRecord) : null;
}

/** The optimizer spec a record describes (resolved specs are valid specs). */
export function recordOptimizer(r: RunRecord): OptimizerSpec {
  return r.optimizer as OptimizerSpec;
}

const show = (v: unknown): string => (v === null || v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

// Settings are named by the command-line flag that sets them (the API's names are the same words).
const MODEL_FLAGS: Partial<Record<keyof ModelConfig, string>> = {
  kind: '--plain', layers: '--layers', hidden: '--hidden', embedDim: '--embed-dim', carry: '--carry', gateBias: '--gate-bias', dropout: '--dropout',
};
const OPTIMIZER_FLAGS: Record<string, string> = { kind: '--optimizer', momentum: '--momentum', weightDecay: '--weight-decay', clipNorm: '--clip', embeddingUpdate: '--embedding-update' };
const RUN_FLAGS = { lr: '--lr', batchSize: '--batch', patience: '--patience', minFreq: '--min-freq', maxLen: '--max-len', seed: '--seed', embeddings: '--embeddings', fiveClass: '--five-class' } as const;

/** Settings whose values differ, as `--flag: <checkpoint> in the checkpoint, <now> now` (epochs excluded). */
export function runDifferences(saved: RunRecord, now: RunRecord): string[] {
  const out: string[] = [];
  const cmp = (name: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${name}: ${show(a)} in the checkpoint, ${show(b)} now`);
  };
  for (const k of Object.keys({ ...saved.config, ...now.config }) as (keyof ModelConfig)[]) {
    if (k === 'labels' || k === 'vocabSize' || k === 'classes') continue; // follow from the data: vocabDigest
    if (k === 'seed' && saved.config.seed === saved.seed && now.config.seed === now.seed) continue; // the run's --seed, compared below
    cmp(MODEL_FLAGS[k] ?? `model.${k}`, saved.config[k], now.config[k]);
  }
  const was = resolveSpec(recordOptimizer(saved)) as Record<string, unknown>;
  const is = now.optimizer as Record<string, unknown>;
  // Another optimizer kind has other fields (Adam's betas, SGD's momentum): compare the shared ones.
  const keys = was.kind === is.kind ? Object.keys({ ...was, ...is }) : Object.keys(was).filter((k) => k in is);
  for (const k of keys) cmp(OPTIMIZER_FLAGS[k] ?? `optimizer.${k}`, was[k], is[k]);
  for (const [k, flag] of Object.entries(RUN_FLAGS) as [keyof typeof RUN_FLAGS, string][]) cmp(flag, saved[k], now[k]);
  // Settings added later: an older record without them ran with the defaults.
  cmp('--tokenizer', saved.tokenizer?.social ? 'social' : 'sst', now.tokenizer?.social ? 'social' : 'sst');
  cmp('--class-weights', saved.classWeights ?? 'none', now.classWeights ?? 'none');
  cmp('--select-by', saved.selectBy ?? 'accuracy', now.selectBy ?? 'accuracy');
  cmp('--eval-every', saved.evalEvery ?? 'epoch ends only', now.evalEvery ?? 'epoch ends only');
  return out;
}

/**
 * Checks a resume against the checkpoint's record. Different data (vocabulary or labels) is
 * always refused; other differences are refused unless `allowChanges`, then logged.
 * @throws ResumeMismatchError (E_RESUME_MISMATCH) listing every difference.
 */
export function checkResume(saved: RunRecord, now: RunRecord, opts: { allowChanges?: boolean; keepVocab?: boolean; checkpoint: string; log: (line: string) => void }): void {
  const changed = saved.dataDigest && now.dataDigest ? dataDifferences(saved.dataDigest, now.dataDigest) : [];
  if (changed.length > 0 && !opts.keepVocab) {
    throw new ResumeMismatchError(
      `cannot resume from '${opts.checkpoint}': the data changed since the run began (${changed.join('; ')}). Train a new run on it, or pass --keep-vocab to continue on the new data with the run's vocabulary and labels`,
      changed,
    );
  }
  if (changed.length > 0) opts.log(`warning: resuming on changed data with the run's vocabulary and labels (--keep-vocab): ${changed.join('; ')}`);
  if (saved.vocabDigest !== now.vocabDigest) {
    const d = `vocabulary/labels: ${saved.config.vocabSize} words, labels [${saved.config.labels.join(', ')}] in the checkpoint; ${now.config.vocabSize} words, labels [${now.config.labels.join(', ')}] now`;
    throw new ResumeMismatchError(`cannot resume from '${opts.checkpoint}': the training data differs from the run's (${d}${saved.data ? `; the run used --data ${saved.data}` : ''})`, [d]);
  }
  const diffs = runDifferences(saved, now);
  if (diffs.length === 0) return;
  if (!opts.allowChanges) {
    throw new ResumeMismatchError(
      `cannot resume from '${opts.checkpoint}' with different settings (${diffs.join('; ')}): leave them out to keep the run's, or pass --allow-changes to continue with the new ones`,
      diffs,
    );
  }
  opts.log(`warning: resuming with changed settings (--allow-changes): ${diffs.join('; ')}`);
}
