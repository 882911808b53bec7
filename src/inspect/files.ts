// `inspect` on files and directories: an .onnx model, a weights file (.safetensors / .pt,
// checkpoints included), artifact.json, or a whole training run directory.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { readWeightsFile } from '../formats/weights-file.js';
import type { WeightsContents } from '../formats/weights.js';
import { readSafetensors } from '../formats/safetensors.js';
import { readTorchFile } from '../formats/torch-pt.js';
import { isLegacyTorchFile } from '../formats/torch-legacy.js';
import { chooseStateDict, describeTorchObject, stateDictCandidates, type StructureEntry } from '../formats/torch-checkpoint.js';
import type { ArtifactJson } from '../train/artifact.js';
import type { ModelConfig } from '../models/config.js';
import { inspectOnnxModel, type OnnxReport } from './onnx.js';
import { decodeModel } from '../onnx/proto.js';
import { externalTensors } from '../onnx/external.js';
import { inlineExternalData } from '../runtime/external-data.js';
import { MAX_MODEL_BYTES } from '../runtime/node.js';
import { CodedError } from '../errors.js';

export class InspectError extends CodedError {
  constructor(message: string) {
    super('E_INSPECT', 'InspectError', message);
  }
}

export interface WeightsReport {
  kind: 'weights';
  file: string;
  bytes: number;
  format: 'safetensors' | 'pt';
  tensors: { name: string; dtype: string; shape: number[] }[];
  elements: number;
  metadata: Record<string, string>;
  /** For highway-onnx checkpoints: the loop position (step, epoch, best dev accuracy). */
  position: Record<string, unknown> | null;
  /** For `.pt`: the torch.save layout, the checkpoint's structure and which of its dicts of tensors `tensors` lists. */
  torch?: TorchReport;
}

/** What a `.pt` holds around its tensors. */
export interface TorchReport {
  /** 'zip' (torch.save since 1.6) or 'legacy' (before 1.6, or `_use_new_zipfile_serialization=False`). */
  layout: 'zip' | 'legacy';
  /** The key of the state dict listed under `tensors` (keys joined with '.'); null when the file is the state dict itself or none could be chosen. */
  key: string | null;
  /** Every dict of tensors in the file but optimizer state, by key, with its tensor count. */
  stateDicts: { key: string; tensors: number }[];
  /** Dicts of tensors under an optimizer (one per parameter in torch.optim's state): counted only. */
  optimizerStateDicts: number;
  /** The checkpoint's structure, three levels deep (empty for a bare state dict). */
  structure: StructureEntry[];
  /** Why no state dict is listed (several, or none), with the way to choose: `--key`. */
  problem: string | null;
}

/** Options of `inspect`. */
export interface InspectOptions {
  /**
   * An .onnx model whose tensors keep their data in other files: 'model-folder' reads them from
   * the model file's own folder (as loadModel does); 'refuse' (default) describes the model
   * without its weights and says so.
   */
  externalData?: 'refuse' | 'model-folder';
  /** For a `.pt` checkpoint: the key of the state dict to list (as import-torch's `--key`). */
  key?: string;
}

export interface ArtifactReport {
  kind: 'artifact';
  file: string;
  format: string;
  config: ModelConfig;
  optimizer: unknown;
  hyperparameters: Record<string, unknown>;
  labels: string[];
  vocabSize: number;
  params: { tensors: number; elements: number };
  state: { tensors: number; elements: number };
  trainStep: { file: string; inputs: number; outputs: number; nodes: number; bytes: number };
  eval: { file: string; inputs: number; outputs: number };
}

export interface RunReport {
  kind: 'run';
  dir: string;
  files: { name: string; bytes: number }[];
  model: OnnxReport | null;
  artifact: ArtifactReport | null;
  checkpoints: (WeightsReport | { kind: 'error'; file: string; error: string })[];
  /** metrics.jsonl: step records counted, epoch records, dev evaluations inside epochs (--eval-every) counted, the test record. */
  metrics: { steps: number; epochs: Record<string, unknown>[]; evals: number; test: Record<string, unknown> | null } | null;
  errors: { file: string; error: string }[];
}

export type Report = OnnxReport | WeightsReport | ArtifactReport | RunReport;

const elements = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * A torch.save file (zip or legacy): its structure, its dicts of tensors and the tensors of the
 * one chosen (as chooseStateDict chooses, or `key`). A checkpoint whose state dict cannot be
 * chosen is still described; `torch.problem` says why no tensors are listed.
 * @throws InteropError E_ZIP, E_PICKLE, E_TORCH for files that cannot be decoded at all.
 */
function torchReport(bytes: Uint8Array, path: string, key: string | undefined): WeightsReport {
  const file = readTorchFile(bytes);
  const candidates = stateDictCandidates(file.root);
  const torch: TorchReport = {
    layout: file.layout,
    key: null,
    stateDicts: candidates.filter((c) => !c.optimizer).map((c) => ({ key: c.key, tensors: c.tensors.size })),
    optimizerStateDicts: candidates.filter((c) => c.optimizer).length,
    structure: candidates.length === 1 && candidates[0]!.key === '' ? [] : describeTorchObject(file.root),
    problem: null,
  };
  let tensors: WeightsContents['tensors'] = new Map();
  try {
    const chosen = chooseStateDict(file.root, key !== undefined ? { key } : {});
    tensors = chosen.tensors;
    torch.key = chosen.key;
  } catch (e) {
    if ((e as { code?: string }).code !== 'E_TORCH_KEY') throw e;
    torch.problem = (e as Error).message.replace(/^torch: /, '');
  }
  return { ...weightsReport({ format: 'pt', tensors, metadata: {} }, path, bytes.length), torch };
}

export async function inspectWeightsFile(path: string): Promise<WeightsReport> {
  return weightsReport(await readWeightsFile(path), path, (await stat(path)).size);
}

function weightsReport({ format, tensors, metadata }: WeightsContents, path: string, bytes: number): WeightsReport {
  let position: Record<string, unknown> | null = null;
  if (metadata.position) {
    try {
      position = JSON.parse(metadata.position) as Record<string, unknown>;
    } catch {
      position = null;
    }
  }
  const list = [...tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape] }));
  return {
    kind: 'weights',
    file: path,
    bytes,
    format,
    tensors: list,
    elements: list.reduce((a, t) => a + elements(t.shape), 0),
    metadata: Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== 'position')),
    position,
  };
}

export function artifactReport(a: ArtifactJson, file: string): ArtifactReport {
  if (a?.format !== 'highway-onnx-artifact/1') {
    throw new InspectError(`'${file}' is not a highway-onnx training artifact: expected "format": "highway-onnx-artifact/1", found ${JSON.stringify(a?.format ?? null)}`);
  }
  const sum = (xs: { dims: number[] }[]): { tensors: number; elements: number } => ({ tensors: xs.length, elements: xs.reduce((s, x) => s + elements(x.dims), 0) });
  return {
    kind: 'artifact',
    file,
    format: a.format,
    config: a.config,
    optimizer: a.optimizer,
    hyperparameters: a.hyperparameters,
    labels: a.labels,
    vocabSize: a.vocab?.length ?? 0,
    params: sum(a.params ?? []),
    state: sum(a.state ?? []),
    trainStep: { file: a.trainStep.file, inputs: a.trainStep.inputs.length, outputs: a.trainStep.outputs.length, nodes: a.trainStep.nodes, bytes: a.trainStep.bytes },
    eval: { file: a.eval.file, inputs: a.eval.inputs.length, outputs: a.eval.outputs.length },
  };
}

async function readArtifact(path: string): Promise<ArtifactReport> {
  let a: ArtifactJson;
  try {
    a = JSON.parse(await readFile(path, 'utf8')) as ArtifactJson;
  } catch (e) {
    throw new InspectError(`'${path}' is not valid JSON: ${(e as Error).message}`);
  }
  return artifactReport(a, path);
}

const message = (e: unknown): string => {
  const code = (e as { code?: string })?.code;
  return `${code ? `[${code}] ` : ''}${(e as Error)?.message?.split('\n')[0] ?? String(e)}`;
};

async function inspectRun(dir: string, opts: InspectOptions): Promise<RunReport> {
  const names = (await readdir(dir)).sort();
  const files: { name: string; bytes: number }[] = [];
  for (const n of names) {
    const s = await stat(join(dir, n)).catch(() => null);
    if (s?.isFile()) files.push({ name: n, bytes: s.size });
  }
  const has = (n: string): boolean => files.some((f) => f.name === n);
  const report: RunReport = { kind: 'run', dir, files, model: null, artifact: null, checkpoints: [], metrics: null, errors: [] };
  if (!has('model.onnx') && !has('artifact.json') && !files.some((f) => f.name.endsWith('.safetensors'))) {
    throw new InspectError(`'${dir}' is not a training run: expected model.onnx, artifact.json or *.safetensors in it, found ${names.length ? names.slice(0, 8).join(', ') : 'nothing'}`);
  }
  const attempt = async <T>(file: string, f: () => Promise<T>): Promise<T | null> => {
    try {
      return await f();
    } catch (e) {
      report.errors.push({ file, error: message(e) });
      return null;
    }
  };
  if (has('model.onnx')) report.model = await attempt('model.onnx', async () => inspectOnnxFile(new Uint8Array(await readFile(join(dir, 'model.onnx'))), join(dir, 'model.onnx'), opts.externalData ?? 'refuse'));
  if (has('artifact.json')) report.artifact = await attempt('artifact.json', () => readArtifact(join(dir, 'artifact.json')));
  for (const f of files.filter((x) => x.name.endsWith('.safetensors'))) {
    try {
      report.checkpoints.push(await inspectWeightsFile(join(dir, f.name)));
    } catch (e) {
      report.checkpoints.push({ kind: 'error', file: join(dir, f.name), error: message(e) });
    }
  }
  if (has('metrics.jsonl')) {
    report.metrics = await attempt('metrics.jsonl', async () => {
      const rows = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '').flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      return {
        steps: rows.filter((r) => r.type === 'step').length,
        epochs: rows.filter((r) => r.type === 'epoch'),
        evals: rows.filter((r) => r.type === 'eval').length,
        test: rows.filter((r) => r.type === 'test').at(-1) ?? null,
      };
    });
  }
  return report;
}

/**
 * Inspect whatever `path` is: a run directory, artifact.json, a weights file (a `.pt` checkpoint:
 * `opts.key`) or an .onnx model.
 * @throws InspectError E_INSPECT (missing path, not a run, bad JSON) and the readers' codes.
 */
export async function inspectPath(path: string, opts: InspectOptions = {}): Promise<Report> {
  const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new InspectError(`cannot inspect '${path}': ${e.code === 'ENOENT' ? 'no such file or directory' : e.code ?? e.message}`);
  });
  if (s.isDirectory()) return inspectRun(path, opts);
  if (basename(path) === 'artifact.json' || path.endsWith('.json')) return readArtifact(path);
  const bytes = new Uint8Array(await readFile(path));
  // Decide the kind by name and signature first, and let that reader's error stand: a weights
  // file that its reader refuses (a header over the limit) must not be retried as ONNX, where
  // protobuf can decode almost anything into a plausible-looking model.
  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors' || looksLikeSafetensors(bytes)) return weightsReport({ format: 'safetensors', ...readSafetensors(bytes) }, path, bytes.length);
  if (ext === '.pt' || ext === '.pth' || ext === '.ckpt' || (bytes[0] === 0x50 && bytes[1] === 0x4b) || isLegacyTorchFile(bytes)) {
    return torchReport(bytes, path, opts.key);
  }
  return inspectOnnxFile(bytes, path, opts.externalData ?? 'refuse');
}

/**
 * An .onnx file, its external data read from its own folder only when `mode` allows it; when
 * not, the structure is reported and the weights are plainly marked as not read.
 */
async function inspectOnnxFile(bytes: Uint8Array, path: string, mode: 'refuse' | 'model-folder'): Promise<OnnxReport> {
  const model = decodeModel(bytes, { allowExternalData: true });
  const ext = externalTensors(model);
  if (ext.length === 0) return inspectOnnxModel(model, bytes.length, path);
  const files = [...new Set(ext.map((e) => e.location ?? '(no location)'))];
  if (mode === 'model-folder') {
    const inlined = await inlineExternalData(bytes, dirname(resolve(path)), MAX_MODEL_BYTES);
    return { ...inspectOnnxModel(decodeModel(inlined), bytes.length, path), externalData: { read: true, tensors: ext.length, files } };
  }
  const report = inspectOnnxModel(model, bytes.length, path);
  return {
    ...report,
    nonFinite: [],
    digest: { state: 'not read', detail: 'not checked: the weights in external files were not read' },
    externalData: { read: false, tensors: ext.length, files },
  };
}

/**
 * safetensors' signature whatever the header length: a little-endian u64 below 2^32 (an
 * ONNX file's first 8 bytes never are: they hold ir_version and the producer's name) then '{'.
 */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  return bytes.length >= 9 && bytes[4] === 0 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0 && bytes[8] === 0x7b;
}
