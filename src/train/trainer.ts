// The training loop: data → vocabulary → artifact → steps in onnxruntime → dev evaluation
// each epoch → best checkpoint and model.onnx; resumable to the exact same losses and the same
// metrics.jsonl, however often it is stopped (signal, kill, step limit) and resumed.
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readDataset } from '../data/files.js';
import { builtinDataset } from '../data/builtin.js';
import { tokenizerFor } from '../data/tokenizer.js';
import { overlapWarning, requireTrainedClasses, splitOverlap, classCounts } from '../data/split-checks.js';
import { balanceSummary, confusionMatrix, formatBalance, type BalanceSummary } from '../runtime/class-balance.js';
import { readFile } from 'node:fs/promises';
import { Vocabulary } from '../data/vocab.js';
import { Rng } from '../data/rng.js';
import { lengthBucketedBatches, padBatch, type PaddedBatch } from '../data/batches.js';
import { truncateLong } from '../data/truncate.js';
import type { Dataset, Example } from '../data/example.js';
import { resolveConfig, type ModelConfig } from '../models/config.js';
import { initParams, paramSpecs } from '../models/init.js';
import { classifierModel } from '../models/classifier.js';
import { encodeModel } from '../onnx/proto.js';
import { optimizerState, resolveSpec, type OptimizerSpec } from '../optim/index.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { buildStepGraphs } from './step-graph.js';
import { writeArtifact } from './artifact.js';
import { TrainSession } from './train-session.js';
import { dropoutMask, stepRng } from './dropout.js';
import { checkCheckpointFits, loadCheckpoint, saveCheckpoint, type EpochSums, type LoopPosition } from './checkpoint.js';
import { makeProgress } from './progress.js';
import { loadPretrainedEmbeddings } from './embeddings.js';
import { TrainingDivergedError } from './errors.js';
import { checkTrainOptions, TRAIN_DEFAULTS, type TrainOptions } from './options.js';
import { checkRunDir, clearRunDir } from './run-dir.js';
import { MetricsLog } from './metrics-log.js';
import { checkResume, dataDigest, savedRunRecord, vocabDigest, type RunRecord } from './run-record.js';
import { TrainOptionsError } from './errors.js';
import { runSettings } from './settings.js';

export interface EpochRecord {
  epoch: number;
  /** Global step count at the end of the epoch. */
  steps: number;
  /** Mean training loss and accuracy over the whole epoch (batches before a resume included). */
  trainLoss: number;
  trainAccuracy: number;
  devLoss: number;
  devAccuracy: number;
  /** Unweighted mean F1 over the classes, and mean per-class recall, on dev. */
  devMacroF1: number;
  devBalancedAccuracy: number;
  /** Seconds of training steps in the epoch, over all invocations. */
  seconds: number;
  tokensPerSecond: number;
}

export interface TrainResult {
  config: ModelConfig;
  /** Epochs finished by this invocation. */
  epochs: EpochRecord[];
  /** Per-step training losses of this invocation, in order (the resume test compares them). */
  stepLosses: number[];
  bestDevAccuracy: number;
  bestEpoch: number;
  testAccuracy: number | null;
  /** Majority baseline, per-class recall/F1, balanced accuracy and macro-F1 of the best checkpoint on test (null when no test ran). */
  test: BalanceSummary | null;
  modelPath: string;
  checkpointPath: string;
  stoppedEarly: boolean;
  /** True when the run stopped before its epochs were done (step limit or signal); a checkpoint was written. */
  interrupted: boolean;
  /** Why an interrupted run stopped: the step limit, or `signal` aborted (its reason, e.g. 'SIGINT', is `signalReason`). */
  stoppedBy?: 'maxSteps' | 'signal';
  signalReason?: unknown;
  /** Global steps completed so far (over all invocations). */
  step: number;
}

interface Encoded {
  ids: number[][];
  labels: number[];
}

/** The dataset a run trains on: given in memory, read from a data directory, or the built-in one. */
export async function loadTrainingData(opts: Pick<TrainOptions, 'dataset' | 'data' | 'fiveClass' | 'format' | 'phrases' | 'distinctPhrases' | 'textColumn' | 'labelColumn'>): Promise<Dataset> {
  if (opts.dataset) return opts.dataset;
  if (opts.data) {
    return readDataset(opts.data, {
      binary: !opts.fiveClass,
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.phrases ? { phrases: true } : {}),
      ...(opts.distinctPhrases ? { phrases: true, distinctPhrases: true } : {}),
      ...(opts.textColumn ? { textColumn: opts.textColumn } : {}),
      ...(opts.labelColumn ? { labelColumn: opts.labelColumn } : {}),
    });
  }
  return builtinDataset();
}

/** Token ids of each example (the run's tokenizer), cut to `maxLen` tokens; a warning naming the long ones goes to `log`. */
function encode(dataset: Dataset, split: 'train' | 'dev' | 'test', vocab: Vocabulary, tokenize: (text: string) => string[], maxLen: number, log: (line: string) => void): Encoded {
  const examples = dataset[split];
  const ids = examples.map((e) => vocab.encode(tokenize(e.text)));
  const warning = truncateLong(ids, maxLen, split, dataset.origin?.[split]);
  if (warning) log(warning);
  return { ids, labels: examples.map((e) => e.label) };
}

function makeBatches(data: Encoded, order: number[][]): { batch: PaddedBatch; labels: BigInt64Array }[] {
  return order.map((idx) => ({
    batch: padBatch(idx.map((i) => data.ids[i]!)),
    labels: BigInt64Array.from(idx, (i) => BigInt(data.labels[i]!)),
  }));
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const zeroSums = (): EpochSums => ({ loss: 0, correct: 0, seen: 0, tokens: 0, seconds: 0 });

/**
 * Trains a classifier into `opts.out` (see TrainOptions for resume, force, checkpoints and
 * stopping). Every file is written atomically; a checkpoint is written at each epoch end, every
 * `checkpointEvery` inside an epoch, and when stopped by `maxSteps` or `signal`.
 * @throws TrainOptionsError (E_TRAIN_OPTIONS), RunExistsError (E_RUN_EXISTS), NoCheckpointError
 *   (E_NO_CHECKPOINT), ResumeMismatchError (E_RESUME_MISMATCH), CheckpointError (E_CHECKPOINT),
 *   TrainingDivergedError (E_DIVERGED), FileWriteError (E_WRITE), and the data readers' errors.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  checkTrainOptions(opts);
  const checkpointPath = join(opts.out, 'checkpoint.safetensors');
  const bestPath = join(opts.out, 'best.safetensors');
  const modelPath = join(opts.out, 'model.onnx');
  const metricsPath = join(opts.out, 'metrics.jsonl');
  // Everything that can refuse the run does so before anything on disk changes.
  const replaced = await checkRunDir(opts.out, { resume: opts.resume ?? false, force: opts.force ?? false });

  const ckpt = opts.resume ? await loadCheckpoint(checkpointPath) : null;
  const saved = savedRunRecord(ckpt?.run);
  const s = runSettings(opts, saved);
  checkTrainOptions({ out: opts.out, lr: s.lr, epochs: s.epochs, batchSize: s.batchSize, patience: s.patience, minFreq: s.minFreq });
  const optimizer = s.optimizer;
  const { lr, epochs, batchSize, patience, seed } = s;

  const tokenize = tokenizerFor(s.tokenizer);
  let dataset = await loadTrainingData({ ...(opts.dataset ? { dataset: opts.dataset } : {}), ...(s.data ? { data: s.data } : {}), fiveClass: s.fiveClass,
    ...(s.format ? { format: s.format } : {}), ...(s.phrases ? { phrases: true } : {}), ...(s.phrases === 'distinct' ? { distinctPhrases: true } : {}),
    ...(s.textColumn ? { textColumn: s.textColumn } : {}), ...(s.labelColumn ? { labelColumn: s.labelColumn } : {}),
  });
  const digest = dataDigest(dataset);
  // --keep-vocab: the run's own vocabulary and label order, whatever the new data holds.
  const kept = opts.keepVocab && saved ? await runVocabulary(opts.out, saved) : null;
  if (kept) dataset = relabel(dataset, kept.labels);
  requireTrainedClasses(dataset);
  const overlap = overlapWarning(splitOverlap(dataset), { dev: dataset.dev.length, test: dataset.test.length });
  if (overlap) log(overlap);
  const vocab = kept ? kept.vocab : Vocabulary.build(dataset.train.map((e) => tokenize(e.text)), { minFreq: s.minFreq });
  const config = resolveConfig({ seed, ...s.model, vocabSize: vocab.size, classes: dataset.labels.length, labels: dataset.labels });
  const record: RunRecord = {
    format: 'highway-onnx-run/1', config, optimizer: resolveSpec(optimizer), lr, epochs, batchSize, patience, minFreq: s.minFreq,
    maxLen: s.maxLen, seed, embeddings: s.embeddings, data: s.data === null ? null : resolve(s.data), fiveClass: s.fiveClass,
    ...(s.format ? { dataFormat: s.format } : {}), ...(s.phrases ? { phrases: s.phrases } : {}),
    ...(s.textColumn ? { textColumn: s.textColumn } : {}), ...(s.labelColumn ? { labelColumn: s.labelColumn } : {}),
    vocabDigest: vocabDigest(vocab.toJSON(), dataset.labels),
    tokenizer: s.tokenizer, classWeights: s.classWeights, selectBy: s.selectBy,
    // A --keep-vocab resume keeps the run's record of its data: resuming again on the same new data is accepted the same way.
    dataDigest: kept && saved?.dataDigest ? saved.dataDigest : digest,
  };
  if (saved) checkResume(saved, { ...record, dataDigest: digest }, { allowChanges: opts.allowChanges ?? false, keepVocab: opts.keepVocab ?? false, checkpoint: checkpointPath, log });
  else if (ckpt) log(`warning: ${checkpointPath} records no settings (an older checkpoint): they cannot be checked against this run's`);

  // Dev and test are cut too: a batch is padded to its longest sentence. A run record's null
  // maxLen means "the default" (runs recorded before there was one resume with it).
  const maxLen = s.maxLen ?? TRAIN_DEFAULTS.maxLen;
  const train = encode(dataset, 'train', vocab, tokenize, maxLen, log);
  const devEnc = encode(dataset, 'dev', vocab, tokenize, maxLen, log);
  const dev = makeBatches(devEnc, lengthBucketedBatches(devEnc.ids, 128, null));
  const testEnc = encode(dataset, 'test', vocab, tokenize, maxLen, log);
  const test = dataset.test.length > 0 ? makeBatches(testEnc, lengthBucketedBatches(testEnc.ids, 128, null)) : [];
  const trainCounts = classCounts(dataset.train, dataset.labels.length);
  // scikit-learn's 'balanced': w_c = n / (C · n_c), so each class carries the same total weight.
  const classWeights = s.classWeights === 'balanced' ? trainCounts.map((n_c) => dataset.train.length / (dataset.labels.length * n_c)) : undefined;
  log(`data: ${dataset.train.length} train / ${dataset.dev.length} dev / ${dataset.test.length} test, vocabulary ${vocab.size}, labels ${dataset.labels.join(', ')}`);
  const devTop = Math.max(...classCounts(dataset.dev, dataset.labels.length));
  log(`classes in train: ${dataset.labels.map((l, c) => `${l} ${trainCounts[c]}`).join(', ')}; dev majority-class baseline ${(100 * devTop / Math.max(dataset.dev.length, 1)).toFixed(2)}%${classWeights ? `; class weights ${classWeights.map((w) => w.toFixed(3)).join(', ')} (balanced)` : ''}${s.selectBy !== 'accuracy' ? `; best checkpoint by dev ${s.selectBy}` : ''}`);

  let params: Map<string, Tensor>;
  let state: Map<string, Tensor> | null = null;
  let pos: LoopPosition = { step: 0, epoch: 0, batchInEpoch: 0, bestDevAccuracy: -1, bestEpoch: -1, epochsWithoutImprovement: 0, seed };
  let metrics: MetricsLog;
  if (ckpt) {
    checkCheckpointFits(ckpt, { params: paramSpecs(config) }, checkpointPath);
    params = ckpt.params;
    state = ckpt.state;
    pos = ckpt.position;
    if (pos.seed !== seed) throw new TrainingDivergedError(`checkpoint was made with seed ${pos.seed}, this run has seed ${seed}: pass --seed ${pos.seed}`);
    metrics = await MetricsLog.resume(metricsPath, pos.metricsLines, log);
    log(`resuming at step ${pos.step} (epoch ${pos.epoch + 1}, batch ${pos.batchInEpoch})`);
  } else {
    params = initParams(config);
    if (s.embeddings) {
      const c = await loadPretrainedEmbeddings(s.embeddings, vocab, params.get('embedding.weight')!);
      log(`embeddings: ${c.found}/${c.total} vocabulary words (${((100 * c.found) / Math.max(c.total, 1)).toFixed(1)}%) found in ${s.embeddings} (${c.fileWords} vectors, ${c.dim}-d${c.caseInsensitive ? `, ${c.caseInsensitive} matched after lower-casing` : ''}); the rest keep their random init`);
    }
    await clearRunDir(opts.out, replaced);
    metrics = await MetricsLog.create(metricsPath);
  }

  const graphs = buildStepGraphs(config, optimizer, { params, ...(classWeights ? { classWeights } : {}) });
  if (state) checkCheckpointFits({ params, state }, graphs, checkpointPath);
  if (!state) state = new Map(optimizerState(optimizer, graphs.params).map((st) => [st.name, allocate('float32', st.dims)]));
  await writeArtifact(opts.out, graphs, {
    // The resolved spec (defaults spelled out): the same whether it came from options or a checkpoint.
    config, optimizer: record.optimizer as OptimizerSpec, vocab: vocab.toJSON(),
    hyperparameters: {
      lr, epochs, batchSize, patience, minFreq: s.minFreq, maxLen, seed, embeddings: s.embeddings,
      ...(s.phrases ? { phrases: s.phrases } : {}),
    },
  });
  log(`train step graph: ${graphs.nodeCount} nodes, ${graphs.params.length} parameter tensors (${graphs.params.reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0)} weights)`);
  const session = await TrainSession.create(graphs, params, state, { device: opts.device ?? 'cpu', ...(opts.threads ? { threads: opts.threads } : {}) });

  const embedDim = config.embedDim;
  const outWidth = 2 * config.hidden;
  const every = opts.checkpointEvery ?? TRAIN_DEFAULTS.checkpointEvery;
  const progress = makeProgress(opts.progress ?? false);
  const records: EpochRecord[] = [];
  const stepLosses: number[] = [];
  let stoppedEarly = false;
  let stoppedBy: TrainResult['stoppedBy'];
  // Sums of the epoch in progress: restored when resuming mid-epoch, so its record covers it all.
  let sums = pos.batchInEpoch > 0 && pos.epochSums ? { ...pos.epochSums } : zeroSums();
  let lastSave = performance.now();

  const saveState = async (position: LoopPosition): Promise<void> => {
    await saveCheckpoint(checkpointPath, { params: session.params(), state: session.state(), position: { ...position, metricsLines: metrics.lines }, run: record as unknown as Record<string, unknown> });
    lastSave = performance.now();
  };
  const saveBestModel = async (): Promise<void> => {
    const current = session.params();
    // Only the loop position proper: the file is the same however often the run was resumed.
    const { epochSums: _sums, metricsLines: _lines, ...position } = pos;
    await saveCheckpoint(bestPath, { params: current, state: new Map(), position });
    await writeFileAtomic(modelPath, encodeModel(classifierModel(config, { params: current, vocab: vocab.toJSON(), tokenizer: s.tokenizer })));
  };
  const stopRequested = (): boolean => {
    if (opts.signal?.aborted) stoppedBy = 'signal';
    else if (opts.maxSteps !== undefined && pos.step >= opts.maxSteps) stoppedBy = 'maxSteps';
    return stoppedBy !== undefined;
  };

  try {
    for (; pos.epoch < epochs; pos.epoch++, pos.batchInEpoch = 0, sums = zeroSums()) {
      if (pos.epochsWithoutImprovement >= patience) {
        stoppedEarly = true; // an early-stopped run, resumed: nothing more to train
        break;
      }
      const order = lengthBucketedBatches(train.ids, batchSize, new Rng(seed * 7919 + pos.epoch));
      const batches = makeBatches(train, order);
      progress.start(batches.length, `epoch ${pos.epoch + 1}/${epochs}`);
      if (pos.batchInEpoch > 0) progress.update(pos.batchInEpoch, { loss: '-', acc: '-', tps: '-' });
      for (let bi = pos.batchInEpoch; bi < batches.length && !stopRequested(); bi++) {
        const { batch, labels } = batches[bi]!;
        const step = pos.step + 1;
        const rng = stepRng(seed, step);
        const t0 = performance.now();
        const r = await session.step({
          batch, labels, lr, step,
          embeddingMask: dropoutMask(rng, batch.time * batch.batch * embedDim, config.dropout),
          outputMask: dropoutMask(rng, batch.batch * outWidth, config.dropout),
        });
        if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) {
          const kept = (await exists(checkpointPath))
            ? `${checkpointPath} (the last good state) was left untouched`
            : 'no checkpoint had been written yet';
          throw new TrainingDivergedError(
            `loss became ${r.loss} (gradient norm ${r.gradNorm}) at step ${step}, epoch ${pos.epoch + 1}; training stopped and ${kept}. Lower the learning rate (now ${lr}) or clip gradients (--clip)`,
          );
        }
        pos.step = step;
        pos.batchInEpoch = bi + 1;
        stepLosses.push(r.loss);
        sums.loss += r.loss * batch.batch;
        sums.correct += r.correct;
        sums.seen += batch.batch;
        sums.tokens += batch.lengths.reduce((a, b) => a + b, 0);
        sums.seconds += (performance.now() - t0) / 1000;
        progress.update(bi + 1, { loss: (sums.loss / sums.seen).toFixed(4), acc: (sums.correct / sums.seen).toFixed(3), tps: (sums.tokens / sums.seconds).toFixed(0) });
        if (pos.step % 50 === 0) await metrics.append({ type: 'step', step: pos.step, epoch: pos.epoch + 1, loss: r.loss, gradNorm: r.gradNorm });
        const due = 'steps' in every ? pos.step % every.steps === 0 : performance.now() - lastSave >= every.seconds * 1000;
        if (due && bi + 1 < batches.length) await saveState({ ...pos, epochSums: sums });
      }
      progress.stop();
      if (stoppedBy) break;
      const ev = await session.evaluate(dev);
      const devBalance = balanceOf(dataset.labels, dev, ev.predictions);
      const record: EpochRecord = {
        epoch: pos.epoch + 1, steps: pos.step, trainLoss: sums.loss / Math.max(sums.seen, 1), trainAccuracy: sums.correct / Math.max(sums.seen, 1),
        devLoss: ev.loss / Math.max(ev.total, 1), devAccuracy: ev.correct / Math.max(ev.total, 1), devMacroF1: devBalance.macroF1, devBalancedAccuracy: devBalance.balancedAccuracy,
        seconds: sums.seconds, tokensPerSecond: sums.tokens / Math.max(sums.seconds, 1e-9),
      };
      records.push(record);
      await metrics.append({ type: 'epoch', ...record });
      const score = s.selectBy === 'macro-f1' ? record.devMacroF1 : record.devAccuracy;
      const improved = score > (s.selectBy === 'macro-f1' ? (pos.bestDevScore ?? -1) : pos.bestDevAccuracy);
      if (improved) {
        pos.bestDevAccuracy = record.devAccuracy;
        if (s.selectBy === 'macro-f1') pos.bestDevScore = score;
        pos.bestEpoch = record.epoch;
        pos.epochsWithoutImprovement = 0;
      } else pos.epochsWithoutImprovement++;
      log(`epoch ${record.epoch}: train loss ${record.trainLoss.toFixed(4)} acc ${(100 * record.trainAccuracy).toFixed(2)}% | dev loss ${record.devLoss.toFixed(4)} acc ${(100 * record.devAccuracy).toFixed(2)}% balanced ${(100 * record.devBalancedAccuracy).toFixed(2)}% macro-F1 ${record.devMacroF1.toFixed(4)}${improved ? ' (best)' : ''} | ${record.seconds.toFixed(1)}s, ${record.tokensPerSecond.toFixed(0)} tok/s`);
      if (devBalance.warning) log(`warning: dev: ${devBalance.warning}`);
      if (improved) await saveBestModel();
      await saveState({ ...pos, epoch: pos.epoch + 1, batchInEpoch: 0, epochSums: zeroSums() });
      if (pos.epochsWithoutImprovement >= patience) {
        stoppedEarly = true;
        log(`early stop: no dev improvement for ${patience} epochs (best ${s.selectBy === 'macro-f1' ? `macro-F1 ${(pos.bestDevScore ?? 0).toFixed(4)}` : `${(100 * pos.bestDevAccuracy).toFixed(2)}%`} at epoch ${pos.bestEpoch})`);
        pos.epoch++;
        break;
      }
    }
    if (!stoppedBy && opts.signal?.aborted) stoppedBy = 'signal'; // arrived during the last evaluation: stop before the test
    if (stoppedBy) {
      await saveState({ ...pos, epochSums: sums });
      log(`stopped after step ${pos.step} (${stoppedBy === 'signal' ? String(opts.signal?.reason ?? 'signal') : 'maxSteps'}): checkpoint written to ${checkpointPath}`);
    }
  } catch (e) {
    progress.stop();
    await session.release();
    throw e;
  }
  progress.stop();

  let testAccuracy: number | null = null;
  let testBalance: BalanceSummary | null = null;
  if (!stoppedBy && test.length > 0 && (await exists(bestPath))) {
    const best = await loadCheckpoint(bestPath);
    const evalSession = await TrainSession.create(graphs, best.params, session.state());
    const ev = await evalSession.evaluate(test);
    testAccuracy = ev.correct / ev.total;
    await evalSession.release();
    testBalance = balanceOf(dataset.labels, test, ev.predictions);
    log(`test accuracy (best dev checkpoint, epoch ${pos.bestEpoch}): ${(100 * testAccuracy).toFixed(2)}%`);
    log(`test: ${formatBalance(testBalance)}`);
    if (testBalance.warning) log(`warning: test: ${testBalance.warning}`);
    await metrics.append({ type: 'test', accuracy: testAccuracy, bestEpoch: pos.bestEpoch, macroF1: testBalance.macroF1, balancedAccuracy: testBalance.balancedAccuracy, majorityAccuracy: testBalance.majority.accuracy });
  }
  await session.release();
  return {
    config, epochs: records, stepLosses, bestDevAccuracy: pos.bestDevAccuracy, bestEpoch: pos.bestEpoch, testAccuracy, test: testBalance, modelPath, checkpointPath,
    stoppedEarly, interrupted: stoppedBy !== undefined, ...(stoppedBy ? { stoppedBy } : {}), ...(stoppedBy === 'signal' ? { signalReason: opts.signal?.reason } : {}), step: pos.step,
  };
}

/** Balance summary of predictions over batches (gold labels taken from the batches, in the same order). */
function balanceOf(labels: string[], batches: { labels: BigInt64Array }[], predictions: number[]): BalanceSummary {
  const gold = batches.flatMap((b) => Array.from(b.labels, Number));
  return balanceSummary(labels, confusionMatrix(labels.length, gold, predictions));
}

/** The vocabulary and labels of the run in `out` (its artifact.json), for a --keep-vocab resume. */
async function runVocabulary(out: string, saved: RunRecord): Promise<{ vocab: Vocabulary; labels: string[] }> {
  const path = join(out, 'artifact.json');
  let tokens: unknown;
  try {
    tokens = (JSON.parse(await readFile(path, 'utf8')) as { vocab?: unknown }).vocab;
  } catch (e) {
    throw new TrainOptionsError(`--keep-vocab needs the run's vocabulary from '${path}': ${(e as Error).message}`);
  }
  const vocab = Vocabulary.fromJSON(tokens);
  if (vocabDigest(vocab.toJSON(), saved.config.labels) !== saved.vocabDigest) {
    throw new TrainOptionsError(`--keep-vocab: the vocabulary in '${path}' is not the one the checkpoint was trained with (its digest differs)`);
  }
  return { vocab, labels: saved.config.labels };
}

/** The dataset with its label ids renumbered to `labels` (the run's order); a label the run lacks is refused. */
function relabel(ds: Dataset, labels: string[]): Dataset {
  const unknown = ds.labels.filter((l) => !labels.includes(l));
  if (unknown.length > 0) {
    throw new TrainOptionsError(`--keep-vocab keeps the run's labels (${labels.join(', ')}); the new data has other labels too: ${unknown.join(', ')}. Train a new run for them`);
  }
  const map = ds.labels.map((l) => labels.indexOf(l));
  const re = (xs: Example[]): Example[] => xs.map((e) => ({ ...e, label: map[e.label]! }));
  return { ...ds, labels: [...labels], train: re(ds.train), dev: re(ds.dev), test: re(ds.test) };
}
