// `npm run experiment`: command-line flags → sweep settings → runExperiment.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_GATE_BIAS, ExperimentConfigError, parseGateBias, parseIntList, parseKinds, type ExperimentSettings } from '../experiment/grid.js';
import { runExperiment, type ExperimentSummary } from '../experiment/runner.js';
import { writeReport } from '../experiment/report.js';
import { number, positiveInt } from './args.js';
import { DEFAULT_CONFIG } from '../models/config.js';
import { TRAIN_DEFAULTS } from '../train/options.js';
import { optimizerFromArgs } from './train.js';
import { resolveSpec } from '../optim/index.js';
import type { CarryMode } from '../models/config.js';

/** Where SST is looked for when --data is not given: fetch-data's output, then the shared copy. */
export const DEFAULT_SST_DIRS = ['data/sst', '../shared/data/sst'];
/** Where SST's trees are looked for with --phrases and no --data. */
export const DEFAULT_TREES_DIRS = ['data/sst-trees', '../shared/data/sst-trees'];

interface Flags {
  data?: string;
  builtin?: boolean;
  phrases?: boolean;
  kinds?: string;
  depths?: string;
  seeds?: string;
  epochs?: number;
  patience?: number;
  gateBias: string;
  embedDim?: number;
  hidden?: number;
  dropout: number;
  lr: number;
  batch: number;
  maxLen?: number;
  threads?: number;
  optimizer?: 'adam' | 'adamw';
  weightDecay?: number;
  embeddingUpdate?: 'dense' | 'lazy';
  evalEvery?: number;
  carry?: CarryMode;
  out?: string;
  quick?: boolean;
  progress: boolean;
  gradients: boolean;
  reportOnly?: boolean;
}


export function experimentProgram(): Command {
  return new Command('experiment')
    .description('Depth sweep: plain vs Highway BiLSTM at several depths and seeds, same budget per cell; writes results.csv, results.md and SVG charts. Resume-safe: finished cells are skipped on rerun.')
    .option('--data <dir>', `data directory (default: the first of ${DEFAULT_SST_DIRS.join(', ')} that exists, else the built-in data)`)
    .option('--builtin', 'use the built-in data set even if SST is present')
    .option('--phrases', `SST trees: train on every labelled phrase, score dev/test on sentences (default data: the first of ${DEFAULT_TREES_DIRS.join(', ')})`)
    .option('--kinds <list>', 'which stacks to train: plain, highway or both (default plain,highway)')
    .option('--depths <list>', 'comma-separated depths (default 1,2,4,8,12,16; --quick: 1,2)')
    .option('--seeds <list>', 'comma-separated seeds (default 1,2; --quick: 1)')
    .option('--epochs <n>', 'epochs per cell, the same for every cell (default 4; --quick: 1)', positiveInt)
    .option('--patience <n>', 'early-stopping patience (default: = epochs, i.e. never stops early)', positiveInt)
    .option('--gate-bias <rule>', 'transform-gate bias: BIAS or BIAS:MAXDEPTH,...,BIAS ("-1:8,-2" = −1 up to depth 8, −2 deeper)', DEFAULT_GATE_BIAS)
    .option('--embed-dim <n>', `embedding width (default ${DEFAULT_CONFIG.embedDim}; --quick: 16)`, positiveInt)
    .option('--hidden <n>', `hidden units per direction (default ${DEFAULT_CONFIG.hidden}; --quick: 8)`, positiveInt)
    .option('--dropout <p>', 'dropout', number, DEFAULT_CONFIG.dropout)
    .option('--lr <x>', 'Adam learning rate', number, TRAIN_DEFAULTS.lr)
    .option('--batch <n>', 'batch size', positiveInt, TRAIN_DEFAULTS.batchSize)
    .option('--max-len <n>', 'truncate training sentences to this many tokens', positiveInt)
    .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt)
    .addOption(new Option('--optimizer <name>', 'optimizer of every cell (default adam)').choices(['adam', 'adamw']))
    .option('--weight-decay <x>', 'weight decay (adam: L2 added to the gradient; adamw: decoupled)', number)
    .addOption(new Option('--embedding-update <mode>', "Adam's embedding update: 'lazy' moves only the rows a batch looks up (torch's SparseAdam)").choices(['dense', 'lazy']))
    .option('--eval-every <steps>', 'also evaluate dev every this many steps; every evaluation competes for the best checkpoint', positiveInt)
    .addOption(new Option('--carry <mode>', "how the first highway layer carries its input (default 'projection')").choices(['projection', 'identity', 'zero-pad']))
    .option('--out <dir>', 'output directory (default experiments/sst2-depth, experiments/builtin-depth, or experiments/quick)')
    .option('--quick', 'tiny grid for CI: built-in data, depths 1,2, one seed, one epoch, small model')
    .option('--no-progress', 'no per-run progress bars')
    .option('--no-gradients', 'skip the gradient-norm analysis at the deepest depth')
    .option('--report-only', 'rewrite the report and charts from finished cells, train nothing')
    .option('--verbose', 'print the stack trace on errors');
}

export function settingsFromFlags(o: Flags): { settings: ExperimentSettings; out: string } {
  const quick = o.quick ?? false;
  const phrases = o.phrases ?? false;
  if (phrases && o.builtin) throw new ExperimentConfigError('--phrases needs SST trees; the built-in data has none');
  const defaults = phrases ? DEFAULT_TREES_DIRS : DEFAULT_SST_DIRS;
  const data = o.builtin || (quick && !o.data && !phrases) ? null : o.data ?? defaults.find((d) => existsSync(join(d, 'train.txt'))) ?? null;
  if (phrases && data === null) throw new ExperimentConfigError(`--phrases needs SST trees: pass --data DIR (looked in ${DEFAULT_TREES_DIRS.join(', ')})`);
  const epochs = o.epochs ?? (quick ? 1 : 4);
  const settings: ExperimentSettings = {
    data,
    ...(phrases ? { phrases: true } : {}),
    ...(o.kinds ? { kinds: parseKinds(o.kinds) } : {}),
    depths: parseIntList(o.depths ?? (quick ? '1,2' : '1,2,4,8,12,16'), '--depths'),
    seeds: parseIntList(o.seeds ?? (quick ? '1' : '1,2'), '--seeds', 0),
    epochs,
    patience: o.patience ?? epochs,
    gateBias: parseGateBias(o.gateBias),
    embedDim: o.embedDim ?? (quick ? 16 : DEFAULT_CONFIG.embedDim),
    hidden: o.hidden ?? (quick ? 8 : DEFAULT_CONFIG.hidden),
    dropout: o.dropout,
    lr: o.lr,
    batchSize: o.batch,
    maxLen: o.maxLen ?? null,
    threads: o.threads ?? null,
    ...(o.optimizer || o.weightDecay !== undefined || o.embeddingUpdate
      ? { optimizer: optimizerFromArgs({ optimizer: o.optimizer ?? 'adam', clip: TRAIN_DEFAULTS.clipNorm, ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}), ...(o.embeddingUpdate ? { embeddingUpdate: o.embeddingUpdate } : {}) }) }
      : {}),
    ...(o.evalEvery ? { evalEvery: o.evalEvery } : {}),
    ...(o.carry ? { carry: o.carry } : {}),
  };
  // Refuse an impossible optimizer (SparseAdam with weight decay) before any cell starts.
  if (settings.optimizer) resolveSpec(settings.optimizer);
  if (settings.dropout < 0 || settings.dropout >= 1) throw new ExperimentConfigError(`--dropout must be in [0, 1), found ${settings.dropout}`);
  const out = o.out ?? join('experiments', quick ? 'quick' : phrases ? 'sst2-phrases-depth' : data ? 'sst2-depth' : 'builtin-depth');
  return { settings, out };
}

/** Parse argv (as process.argv: node, script, ...flags) and run the sweep. */
export async function experimentMain(argv: string[], opts: { log?: (line: string) => void } = {}): Promise<ExperimentSummary | null> {
  const program = experimentProgram().exitOverride();
  program.parse(argv);
  const flags = program.opts<Flags>();
  const { settings, out } = settingsFromFlags(flags);
  if (flags.reportOnly) {
    await writeReport(out);
    (opts.log ?? console.error)(`report rewritten in ${out}`);
    return null;
  }
  return runExperiment({
    out,
    settings,
    progress: flags.progress,
    gradients: flags.gradients,
    command: `npm run experiment -- ${argv.slice(2).join(' ')}`.trim().replace(/ --$/, ''),
    ...(opts.log ? { log: opts.log } : {}),
  });
}
