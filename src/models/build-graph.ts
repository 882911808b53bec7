// `build-graph`: classifier configs → .onnx files. Shared by scripts/build-graph.ts
// (`npm run build-graph`) and the CLI (`highway-onnx build-graph …`).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_OPSET } from '../graph/index.js';
import { encodeModel } from '../onnx/proto.js';
import { assertValidModel } from '../onnx/checker.js';
import { classifierModel } from './classifier.js';
import { ConfigError, resolveConfig, type CarryMode, type ModelConfig } from './config.js';
import { countParams, initParams } from './init.js';
import { builtinTokens, fitVocabulary, readVocabFile } from './graph-vocab.js';

export interface BuiltGraph {
  path: string;
  bytes: number;
  params: number;
  config: ModelConfig;
}

/** Build one inference model (initial parameters from config.seed), check it, write it. */
export function buildGraphFile(config: ModelConfig, out: string, opset = DEFAULT_OPSET, vocab?: string[]): BuiltGraph {
  const params = initParams(config);
  const untrained = `random initial weights from build-graph (seed ${config.seed})`;
  const model = classifierModel(config, { params, opset, untrained, ...(vocab ? { vocab: fitVocabulary(vocab, config.vocabSize) } : {}) });
  assertValidModel(model);
  const bytes = encodeModel(model);
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileAtomicSync(out, bytes);
  return { path: out, bytes: bytes.length, params: countParams(params), config };
}

/** The package's own graphs/ folder (works from src/ under tsx and from dist/src/). */
export function defaultGraphsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'highway-onnx') return join(dir, 'graphs');
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve('graphs');
    dir = up;
  }
}

export function readConfigFile(path: string): Partial<ModelConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  return parseConfigJson(text, path);
}

function parseConfigJson(text: string, where: string): Partial<ModelConfig> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config ${where} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`config ${where} must be a JSON object`);
  return v as Partial<ModelConfig>;
}

/** Every graphs/*.json, by name (file name without .json). */
export function graphConfigs(dir = defaultGraphsDir()): { name: string; config: ModelConfig }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort(byNameThenNumber)
    .map((f) => {
      try {
        return { name: basename(f, '.json'), config: resolveConfig(readConfigFile(join(dir, f))) };
      } catch (e) {
        throw new ConfigError(`${join(dir, f)}: ${(e as Error).message}`);
      }
    });
}

const byNameThenNumber = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

const int = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} needs an integer, got '${v}'`);
  return n;
};
const num = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} needs a number, got '${v}'`);
  return n;
};

interface Flags {
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

function command(): Command {
  return new Command('build-graph')
    .description('Write classifier graphs (.onnx, initial weights from the seed) into the working directory. With no flags: one default model, ./hbilstm-2.onnx. --set: the whole graph set, graphs/*.json → ./graphs/<name>.onnx.')
    .option('--config <json>', 'config file (JSON), or inline JSON starting with {')
    .option('--layers <n>', 'number of (highway) BiLSTM layers', int('--layers'))
    .option('--plain', 'plain stacked BiLSTM baseline (no gate)')
    .option('--carry <mode>', 'highway carry: identity | projection | zero-pad')
    .option('--hidden <n>', 'hidden units per direction', int('--hidden'))
    .option('--embed-dim <n>', 'embedding width', int('--embed-dim'))
    .option('--vocab-size <n>', 'vocabulary size (ids 0 = pad, 1 = unk)', int('--vocab-size'))
    .option('--classes <n>', 'number of classes', int('--classes'))
    .option('--gate-bias <x>', 'initial transform-gate bias', num('--gate-bias'))
    .option('--opset <n>', 'ai.onnx opset', int('--opset'), DEFAULT_OPSET)
    .option('--seed <n>', 'parameter-init seed', int('--seed'))
    .option('--out <path>', 'output .onnx (single model)')
    .option('--vocab <file|builtin|none>', 'vocabulary written into the model (padded with [unusedN] to --vocab-size)', 'builtin')
    .option('--set', "build every config of the graph set (the package's graphs/*.json, or --dir) into ./graphs/ (or --dir)")
    .option('--dir <dir>', 'graph-set folder holding <name>.json configs; the .onnx files are written beside them (implies --set)')
    .allowExcessArguments(false)
    .exitOverride();
}

/**
 * `build-graph [flags]`; argv holds only the user's arguments (no node/script path). With no
 * flags it writes one model with the default config to ./hbilstm-2.onnx; `--set` writes the
 * graph set. Prints one line per file written and returns what it wrote; throws ConfigError
 * (E_CONFIG) for a bad config and CommanderError for bad flags.
 */
export async function buildGraphMain(argv: string[], opts: { log?: (line: string) => void } = {}): Promise<BuiltGraph[]> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const cmd = command();
  cmd.parse(argv, { from: 'user' });
  const f = cmd.opts<Flags>();
  const modelFlags = [f.config, f.layers, f.plain, f.carry, f.hidden, f.embedDim, f.vocabSize, f.classes, f.gateBias, f.seed, f.out];
  const vocab = f.vocab === 'none' ? undefined : f.vocab === 'builtin' ? builtinTokens() : readVocabFile(f.vocab);
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

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
