// `highway-onnx build-graph` and `npm run build-graph`: the command line of models/build-graph.ts.
// One definition of the flags, added to the main program and, for the npm script and tests, run
// on its own by buildGraphMain.
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_OPSET } from '../graph/index.js';
import { buildGraphFile, defaultGraphsDir, graphConfigs, parseConfigJson, readConfigFile, type BuiltGraph } from '../models/build-graph.js';
import { ConfigError, resolveConfig, type CarryMode, type ModelConfig } from '../models/config.js';
import { builtinTokens, readGraphVocabulary } from '../models/graph-vocab.js';
import { integer, number } from './args.js';

/** The parsed flags of `build-graph`. */
export interface BuildGraphFlags {
  config?: string;
  layers?: number;
  plain?: boolean;
  carry?: CarryMode;
  hidden?: number;
  embedDim?: number;
  vocabSize?: number;
  classes?: number;
  gateBias?: number;
  opset: number;
  seed?: number;
  out?: string;
  set?: boolean;
  dir?: string;
  vocab: string;
}

/** Adds the flags of `build-graph` to `cmd` (the main program's subcommand or a program of its own). */
export function defineBuildGraphCommand(cmd: Command): Command {
  return cmd
    .description('Write classifier graphs (.onnx, initial weights from the seed) into the working directory. With no flags: one default model, ./hbilstm-2.onnx. --set: the whole graph set, graphs/*.json → ./graphs/<name>.onnx.')
    .option('--config <json>', 'config file (JSON), or inline JSON starting with {')
    .option('--layers <n>', 'number of (highway) BiLSTM layers', integer)
    .option('--plain', 'plain stacked BiLSTM baseline (no gate)')
    .option('--carry <mode>', 'highway carry: identity | projection | zero-pad')
    .option('--hidden <n>', 'hidden units per direction', integer)
    .option('--embed-dim <n>', 'embedding width', integer)
    .option('--vocab-size <n>', 'vocabulary size (ids 0 = pad, 1 = unk)', integer)
    .option('--classes <n>', 'number of classes', integer)
    .option('--gate-bias <x>', 'initial transform-gate bias', number)
    .option('--opset <n>', 'ai.onnx opset', integer, DEFAULT_OPSET)
    .option('--seed <n>', 'parameter-init seed', integer)
    .option('--out <path>', 'output .onnx (single model)')
    .option('--vocab <file|builtin|none>', 'vocabulary written into the model (padded with [unusedN] to --vocab-size)', 'builtin')
    .option('--set', "build every config of the graph set (the package's graphs/*.json, or --dir) into ./graphs/ (or --dir)")
    .option('--dir <dir>', 'graph-set folder holding <name>.json configs; the .onnx files are written beside them (implies --set)')
    .allowExcessArguments(false);
}

/**
 * Runs `build-graph` with parsed flags: with no model flags one model with the default config,
 * ./hbilstm-2.onnx; `--set`/`--dir` the graph set. Logs one line per file written and returns
 * what it wrote; throws ConfigError (E_CONFIG) for a bad config or flags that do not combine.
 */
export async function buildGraphCommand(f: BuildGraphFlags, log: (line: string) => void = (line) => console.log(line)): Promise<BuiltGraph[]> {
  const modelFlags = [f.config, f.layers, f.plain, f.carry, f.hidden, f.embedDim, f.vocabSize, f.classes, f.gateBias, f.seed, f.out];
  const vocab = f.vocab === 'none' ? undefined : f.vocab === 'builtin' ? builtinTokens() : readGraphVocabulary(f.vocab);
  const built: BuiltGraph[] = [];
  const report = (b: BuiltGraph): void => {
    built.push(b);
    log(`${relative(process.cwd(), b.path) || b.path}  ${formatBytes(b.bytes)}  ${b.params.toLocaleString('en-US')} params`);
  };
  if (f.set || f.dir !== undefined) {
    if (modelFlags.some((v) => v !== undefined)) throw new ConfigError('--set/--dir builds the graph set from its configs: it takes no model flags (--layers, --out, …)');
    // Configs come with the package; outputs go to the working directory (never into
    // node_modules), unless --dir names a folder holding both.
    const dir = f.dir ?? defaultGraphsDir();
    const outDir = f.dir ?? resolve('graphs');
    const set = graphConfigs(dir);
    if (set.length === 0) throw new ConfigError(`no *.json configs in ${dir}`);
    for (const { name, config } of set) report(buildGraphFile(config, join(outDir, `${name}.onnx`), f.opset, vocab));
    return built;
  }
  const base: Partial<ModelConfig> = f.config === undefined ? {} : f.config.trim().startsWith('{') ? parseConfigJson(f.config, '(inline)') : readConfigFile(f.config);
  const overrides: Partial<ModelConfig> = {
    ...(f.plain ? { kind: 'plain' as const } : {}),
    ...(f.layers !== undefined ? { layers: f.layers } : {}),
    ...(f.carry !== undefined ? { carry: f.carry } : {}),
    ...(f.hidden !== undefined ? { hidden: f.hidden } : {}),
    ...(f.embedDim !== undefined ? { embedDim: f.embedDim } : {}),
    ...(f.vocabSize !== undefined ? { vocabSize: f.vocabSize } : {}),
    ...(f.classes !== undefined ? { classes: f.classes } : {}),
    ...(f.gateBias !== undefined ? { gateBias: f.gateBias } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
  };
  // Labels from the config file no longer fit when --classes changes them.
  if (f.classes !== undefined && Array.isArray(base.labels) && base.labels.length !== f.classes) delete base.labels;
  const config = resolveConfig({ ...base, ...overrides });
  const out = f.out ?? `${config.kind === 'plain' ? 'plain' : 'hbilstm'}-${config.layers}.onnx`;
  report(buildGraphFile(config, out, f.opset, vocab));
  return built;
}

/**
 * `build-graph [flags]` as a program of its own (npm run build-graph, tests); argv holds only the
 * user's arguments (no node/script path). Throws what buildGraphCommand throws, and
 * CommanderError for bad flags (commander has printed the message).
 */
export async function buildGraphMain(argv: string[], opts: { log?: (line: string) => void } = {}): Promise<BuiltGraph[]> {
  const cmd = defineBuildGraphCommand(new Command('build-graph')).exitOverride();
  cmd.parse(argv, { from: 'user' });
  return buildGraphCommand(cmd.opts<BuildGraphFlags>(), opts.log);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
