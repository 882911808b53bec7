// Classifier configs → .onnx files with initial weights: the library half of `build-graph`
// (its command line is src/cli/build-graph.ts, run by `highway-onnx build-graph` and
// `npm run build-graph`).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OPSET } from '../graph/index.js';
import { encodeModel } from '../onnx/proto.js';
import { assertValidModel } from '../onnx/checker.js';
import { classifierModel } from './classifier.js';
import { ConfigError, resolveConfig, type ModelConfig } from './config.js';
import { countParams, initParams } from './init.js';
import { fitVocabulary } from './graph-vocab.js';

/** One model build-graph wrote: where, its size (bytes), its parameter count and config. */
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

/** A config file (JSON object, fields as ModelConfig); throws ConfigError (E_CONFIG) when unreadable or not an object. */
export function readConfigFile(path: string): Partial<ModelConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  return parseConfigJson(text, path);
}

/** A config from JSON text (`where` names its source in errors); throws ConfigError (E_CONFIG) unless a JSON object. */
export function parseConfigJson(text: string, where: string): Partial<ModelConfig> {
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
