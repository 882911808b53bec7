/**
 * The run folder `import-onnx` writes and `finetune --init` reads:
 *   source.onnx             the model as given
 *   import.json             what was found: inputs, outputs, the ids/lengths binding, the
 *                           logits output, trainable and frozen initializers, vocabulary, ops
 *   checkpoint.safetensors  the parameters (and, after fine-tuning, optimizer state and step)
 *   train_step.onnx         the derived training step (Adam), for any onnxruntime
 *   model.onnx              the model emitted again from the IR (after finetune: fine-tuned)
 */
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { dirname, join, resolve } from 'node:path';
import { readDataset } from '../../data/files.js';
import { lengthBucketedBatches } from '../../data/batches.js';
import { DEFAULT_MAX_TOKENS, truncateLong } from '../../data/truncate.js';
import { tokenize } from '../../data/tokenizer.js';
import type { Dataset, Example } from '../../data/example.js';
import { readClassifierMetadata } from '../../models/classifier.js';
import { paramSpecs } from '../../models/init.js';
import { decodeModel, encodeModel, type ModelProto } from '../../onnx/proto.js';
import { readMetadata } from '../../onnx/metadata.js';
import { verifyDigest } from '../../onnx/digest.js';
import { assertValidModel } from '../../onnx/checker.js';
import { tensorFromProto, type Tensor } from '../../onnx/tensor.js';
import type { OptimizerSpec } from '../../optim/index.js';
import type { Device } from '../../runtime/device.js';
import { inlineExternalData } from '../../runtime/external-data.js';
import { MAX_MODEL_BYTES } from '../../runtime/node.js';
import { loadCheckpoint, saveCheckpoint, type LoopPosition } from '../checkpoint.js';
import { ImportError } from '../../onnx-import/context.js';
import { importOnnx, type ImportOptions } from '../../onnx-import/importer.js';
import { batchFeeds, detectBinding, openImportedRunner, type DataBinding, type ImportedBatch } from './runner.js';
import { labelledBatch, type Encoded } from '../classifier-feeds.js';
import { startPosition as freshPosition, TrainingLoop, type TrainCallbacks } from '../loop.js';
import { buildImportedStep, chooseLogits, exportImported, type TensorSpec } from './training.js';
import { checkVocabulary, findEmbedding, type EmbeddingTable } from './embedding.js';
import { probeBatchSizes } from './probe.js';

export const RUN_FORMAT = 'highway-onnx-import/1';
const DEFAULT_OPTIMIZER: OptimizerSpec = { kind: 'adam', clipNorm: 5 };

export interface ImportRunInfo {
  format: typeof RUN_FORMAT;
  source: string;
  opset: number;
  inputs: { name: string; dtype: string; shape: (string | number)[] | null }[];
  outputs: { name: string; dtype: string; shape: (string | number)[] | null }[];
  binding: DataBinding;
  logitsOutput: string;
  labelsInput: string;
  params: TensorSpec[];
  frozen: { name: string; reason: string }[];
  /** The import options fine-tuning must repeat (which initializers train). */
  importOptions: { trainable?: string[]; freeze?: string[] };
  vocab: string[] | null;
  labels: string[] | null;
  /** The table the ids index (a vocabulary longer than its rows is refused); null when not found. */
  embedding?: EmbeddingTable | null;
  /** What the import changed so the model runs at any batch (see ImportedModel.notes). */
  notes?: string[];
  ops: Record<string, number>;
  trainStep: { file: 'train_step.onnx'; optimizer: OptimizerSpec; opset: number; nodes: number; inputs: string[]; outputs: string[] };
}

export interface ImportRunOptions {
  logitsOutput?: string;
  vocab?: string[];
  labels?: string[];
  freeze?: string[];
  trainable?: string[];
  idsInput?: string;
  lengthsInput?: string;
  timeMajor?: boolean;
  /**
   * 'model-folder': tensors kept in other files are read from the model file's own folder and
   * stored inside source.onnx (as loadModel's LoadOptions.externalData); default 'refuse'.
   */
  externalData?: 'refuse' | 'model-folder';
}

/** Our own classifier models name their parameters in their metadata: train exactly those. */
function ownParams(model: ModelProto): string[] | undefined {
  try {
    return paramSpecs(readClassifierMetadata(model).config).map((s) => s.name);
  } catch {
    return undefined;
  }
}

function metadataJson(model: ModelProto, key: string): string[] | null {
  const raw = readMetadata(model)[key];
  if (raw === undefined) return null;
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

/** Import `modelPath`, check that a training step can be derived, and write the run folder. */
export async function importOnnxRun(modelPath: string, out: string, opts: ImportRunOptions = {}): Promise<ImportRunInfo> {
  let bytes: Uint8Array = new Uint8Array(await readFile(modelPath));
  if (opts.externalData === 'model-folder') bytes = await inlineExternalData(bytes, dirname(resolve(modelPath)), MAX_MODEL_BYTES);
  const source = decodeModel(bytes);
  verifyDigest(source); // a damaged model is not imported (E_MODEL_DIGEST); foreign ones have none
  // Before anything walks or runs it: bounded nesting, no outputs the file sizes at gigabytes.
  assertValidModel(source);
  const trainable = opts.trainable ?? ownParams(source);
  const importOptions: ImportOptions = { ...(trainable ? { trainable } : {}), ...(opts.freeze ? { freeze: opts.freeze } : {}) };
  const imp = importOnnx(source, { ...importOptions, registerOutputs: false });
  const binding = detectBinding(imp, {
    ...(opts.idsInput ? { idsInput: opts.idsInput } : {}),
    ...(opts.lengthsInput ? { lengthsInput: opts.lengthsInput } : {}),
    ...(opts.timeMajor !== undefined ? { timeMajor: opts.timeMajor } : {}),
  });
  const logits = chooseLogits(imp, opts.logitsOutput);
  const step = buildImportedStep(source, DEFAULT_OPTIMIZER, { logitsOutput: logits.output, import: importOptions });
  const vocab = opts.vocab ?? metadataJson(source, 'highway_onnx.vocab');
  const embedding = findEmbedding(imp, binding.idsInput);
  if (vocab) checkVocabulary(vocab, embedding);
  const labels = opts.labels ?? metadataJson(source, 'highway_onnx.labels');
  const shape = (v: { shape: (string | number)[] | null }): (string | number)[] | null => (v.shape ? [...v.shape] : null);
  const info: ImportRunInfo = {
    format: RUN_FORMAT,
    source: resolve(modelPath),
    opset: imp.opset,
    inputs: [...imp.inputs].map(([name, v]) => ({ name, dtype: v.dtype, shape: shape(v) })),
    outputs: [...imp.outputs].map(([name, v]) => ({ name, dtype: v.dtype, shape: shape(v) })),
    binding,
    logitsOutput: step.logitsOutput,
    labelsInput: step.labelsInput,
    params: step.params,
    frozen: step.frozen,
    importOptions: { ...(trainable ? { trainable } : {}), ...(opts.freeze ? { freeze: opts.freeze } : {}) },
    vocab,
    labels,
    embedding,
    notes: imp.notes,
    ops: imp.ops,
    trainStep: {
      file: 'train_step.onnx',
      optimizer: DEFAULT_OPTIMIZER,
      opset: step.opset,
      nodes: step.nodeCount,
      inputs: (step.trainStep.graph?.input ?? []).map((i) => i.name ?? ''),
      outputs: (step.trainStep.graph?.output ?? []).map((o) => o.name ?? ''),
    },
  };
  const again = exportImported(source, new Map(), importOptions);
  await probeBatchSizes(again, binding);
  await mkdir(out, { recursive: true });
  await writeFileAtomic(join(out, 'source.onnx'), bytes); // self-contained: external data, if read, is inside
  await writeFileAtomic(join(out, 'train_step.onnx'), encodeModel(step.trainStep));
  await writeFileAtomic(join(out, 'model.onnx'), encodeModel(again));
  const inits = new Map((source.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const params = new Map<string, Tensor>(step.params.map((p) => [p.name, tensorFromProto(inits.get(p.name)!)]));
  await saveCheckpoint(join(out, 'checkpoint.safetensors'), { params, state: new Map(), position: startPosition(0) });
  await writeFileAtomic(join(out, 'import.json'), `${JSON.stringify(info, null, 1)}\n`);
  return info;
}

function startPosition(seed: number): LoopPosition {
  return { step: 0, epoch: 0, batchInEpoch: 0, bestDevAccuracy: 0, bestEpoch: 0, epochsWithoutImprovement: 0, seed };
}

export async function readImportRun(dir: string): Promise<{ info: ImportRunInfo; source: ModelProto }> {
  let info: ImportRunInfo;
  try {
    info = JSON.parse(await readFile(join(dir, 'import.json'), 'utf8')) as ImportRunInfo;
  } catch (e) {
    throw new ImportError(`'${dir}' is not an import-onnx run folder (cannot read import.json: ${(e as Error).message}); create one with: highway-onnx import-onnx --model M.onnx --out ${dir}`);
  }
  if (info.format !== RUN_FORMAT) throw new ImportError(`${join(dir, 'import.json')} has format '${info.format}', expected '${RUN_FORMAT}'`);
  return { info, source: decodeModel(new Uint8Array(await readFile(join(dir, 'source.onnx')))) };
}

export interface FinetuneOptions {
  /** The import-onnx run folder. */
  init: string;
  /** Data directory (train/dev/test in a supported format) or a loaded dataset. */
  data: string | Dataset;
  /** TSV/CSV column or JSONL field holding the text / the label, when `data` is a directory (default 'text' / 'label'). */
  textColumn?: string;
  labelColumn?: string;
  /** Where the fine-tuned model, checkpoint and metrics go (default: the init folder). */
  out?: string;
  fiveClass?: boolean;
  optimizer?: OptimizerSpec;
  lr?: number;
  epochs?: number;
  batchSize?: number;
  maxSteps?: number;
  /** Cut sentences to this many tokens (default DEFAULT_MAX_TOKENS), with a warning naming the long ones. */
  maxLen?: number;
  seed?: number;
  /** Tokens in id order, when import.json has none. */
  vocab?: string[];
  device?: Device;
  threads?: number;
  log?: (line: string) => void;
  /** After every optimizer step (the same callback as train()'s). */
  onStep?: TrainCallbacks['onStep'];
  /** After every epoch's dev evaluation (devLoss/devAccuracy null without dev data). */
  onEpochEnd?: TrainCallbacks['onEpochEnd'];
  /** Abort to stop after the current step: the partial epoch is evaluated and the model and checkpoint written as at the end. */
  signal?: AbortSignal;
}

export interface FinetuneResult {
  modelPath: string;
  steps: number;
  stepLosses: number[];
  epochs: { epoch: number; trainLoss: number; devAccuracy: number | null }[];
}

function encoder(vocab: string[]): (e: Example) => number[] {
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const unk = ['<unk>', '[UNK]', '<UNK>', 'unk'].map((t) => ids.get(t)).find((i) => i !== undefined) ?? 1;
  return (e) => tokenize(e.text).map((t) => ids.get(t) ?? ids.get(t.toLowerCase()) ?? unk);
}

/** Fine-tune an imported model on labelled text; writes model.onnx (original input/output names), checkpoint and metrics. */
export async function finetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { info, source } = await readImportRun(opts.init);
  const out = opts.out ?? opts.init;
  await mkdir(out, { recursive: true });
  const vocab = opts.vocab ?? info.vocab;
  if (!vocab) throw new ImportError('the imported model has no vocabulary: pass --vocab vocab.json (tokens in id order) to import-onnx or finetune');
  checkVocabulary(vocab, info.embedding ?? null);
  const columns = { ...(opts.textColumn ? { textColumn: opts.textColumn } : {}), ...(opts.labelColumn ? { labelColumn: opts.labelColumn } : {}) };
  const dataset = typeof opts.data === 'string' ? await readDataset(opts.data, { binary: !opts.fiveClass, ...columns }) : opts.data;
  const classes = info.outputs.find((o) => o.name === info.logitsOutput)?.shape?.[1];
  if (typeof classes === 'number' && dataset.labels.length > classes) {
    throw new ImportError(`the data has ${dataset.labels.length} labels (${dataset.labels.join(', ')}) but the model's logits '${info.logitsOutput}' have ${classes} classes`);
  }
  const encode = encoder(vocab);
  const enc = (xs: Example[]): Encoded => ({ ids: xs.map(encode), labels: xs.map((e) => e.label) });
  const train = enc(dataset.train);
  if (train.ids.length === 0) throw new ImportError('the training split is empty');
  const dev = enc(dataset.dev);
  // A batch is padded to its longest sentence: one huge line must not ask for gigabytes.
  const maxLen = opts.maxLen ?? DEFAULT_MAX_TOKENS;
  for (const [split, e] of [['train', train], ['dev', dev]] as const) {
    const warning = truncateLong(e.ids, maxLen, split, dataset.origin?.[split]);
    if (warning) log(warning);
  }

  const seed = opts.seed ?? 1;
  const optimizer = opts.optimizer ?? DEFAULT_OPTIMIZER;
  const ckpt = await loadCheckpoint(join(opts.init, 'checkpoint.safetensors'));
  const imported = await openImportedRunner(source, {
    optimizer,
    params: ckpt.params,
    state: ckpt.state,
    logitsOutput: info.logitsOutput,
    import: info.importOptions,
    ...(opts.device ? { device: opts.device } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
  });
  const { runner } = imported;
  const lr = opts.lr ?? 0.001;
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 32;
  const metrics = join(out, 'metrics.jsonl');
  const records: FinetuneResult['epochs'] = [];
  const asImported = (data: Encoded, idx: number[]): ImportedBatch => {
    const b = labelledBatch(data, idx);
    return { feeds: batchFeeds(info.binding, b.batch), labels: b.labels };
  };
  const devBatches = dev.ids.length > 0 ? lengthBucketedBatches(dev.ids, 64, null).map((idx) => asImported(dev, idx)) : [];
  const tokens = new WeakMap<ImportedBatch, number>();
  const loop = new TrainingLoop<ImportedBatch>({
    runner, ids: train.ids,
    batch: (idx) => {
      const b = asImported(train, idx);
      tokens.set(b, idx.reduce((a, i) => a + train.ids[i]!.length, 0));
      return b;
    },
    tokens: (b) => tokens.get(b) ?? 0,
    settings: { seed, lr, batchSize, epochs, finishStoppedEpoch: true, ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}) },
    callbacks: { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onStep ? { onStep: opts.onStep } : {}), ...(opts.onEpochEnd ? { onEpochEnd: opts.onEpochEnd } : {}) },
    position: freshPosition(seed, ckpt.position.step),
    hooks: {
      evaluate: async () => {
        if (devBatches.length === 0) return null;
        const ev = await runner.evaluate(devBatches);
        return { loss: ev.loss / ev.total, accuracy: ev.correct / ev.total };
      },
      diverged: (r, step) => new ImportError(`loss became ${r.loss} (gradient norm ${r.gradNorm}) at step ${step}: lower the learning rate (now ${lr})`),
      afterEpoch: async (e) => {
        const record = { epoch: e.epoch, trainLoss: e.trainLoss, devAccuracy: e.devAccuracy };
        records.push(record);
        // Appended by an atomic rewrite: a kill leaves the earlier records whole.
        const earlier = await readFile(metrics, 'utf8').catch(() => '');
        await writeFileAtomic(metrics, `${earlier}${JSON.stringify({ type: 'epoch', steps: e.steps, ...record })}\n`);
        log(`epoch ${record.epoch}: train loss ${record.trainLoss.toFixed(4)}${record.devAccuracy === null ? '' : ` | dev acc ${(100 * record.devAccuracy).toFixed(2)}%`} | ${e.steps} steps`);
      },
    },
  });
  try {
    const { stepLosses } = await loop.run();
    const steps = loop.pos.step;
    const modelPath = join(out, 'model.onnx');
    await writeFileAtomic(modelPath, encodeModel(imported.exportModel()));
    await saveCheckpoint(join(out, 'checkpoint.safetensors'), {
      params: runner.params(),
      state: runner.state(),
      position: { ...startPosition(seed), step: steps, epoch: records.length },
    });
    if (resolve(out) !== resolve(opts.init)) {
      await writeFileAtomic(join(out, 'source.onnx'), await readFile(join(opts.init, 'source.onnx')));
      await writeFileAtomic(join(out, 'import.json'), `${JSON.stringify(info, null, 1)}\n`);
    }
    return { modelPath, steps, stepLosses, epochs: records };
  } finally {
    await runner.release();
  }
}
