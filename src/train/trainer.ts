// Node's training run: data → vocabulary → artifact → the training loop (loop.ts) on
// onnxruntime-node → best checkpoint and model.onnx; resumable to the exact same losses and the
// same metrics.jsonl, however often it is stopped (signal, kill, step limit) and resumed. This
// file is the run's I/O: files, checkpoints, metrics, logs and the progress bar.
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tokenizerFor } from '../data/tokenizer.js';
import { overlapWarning, requireTrainedClasses, splitOverlap, classCounts } from '../data/split-checks.js';
import { formatBalance, type BalanceSummary } from '../runtime/class-balance.js';
import { Vocabulary } from '../data/vocab.js';
import { lengthBucketedBatches } from '../data/batches.js';
import { resolveConfig, type ModelConfig } from '../models/config.js';
import { initParams, paramSpecs } from '../models/init.js';
import { classifierModel } from '../models/classifier.js';
import { encodeModel } from '../onnx/proto.js';
import { optimizerState, resolveSpec, type OptimizerSpec } from '../optim/index.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { buildStepGraphs } from './step-graph.js';
import { writeArtifact } from './artifact.js';
import { openNodeClassifierRunner } from './node-runtime.js';
import { DropoutBuffers, labelledBatch, withDropout, type Encoded, type LabelledBatch } from './classifier-feeds.js';
import { TrainingLoop, type StepInfo } from './loop.js';
import { checkCheckpointFits, loadCheckpoint, saveCheckpoint, type LoopPosition } from './checkpoint.js';
import { makeProgress } from './progress.js';
import { loadPretrainedEmbeddings } from './embeddings.js';
import { TrainingDivergedError } from './errors.js';
import { checkTrainOptions, TRAIN_DEFAULTS, type TrainOptions } from './options.js';
import { checkRunDir, clearRunDir } from './run-dir.js';
import { MetricsLog } from './metrics-log.js';
import { checkResume, dataDigest, savedRunRecord, vocabDigest, type RunRecord } from './run-record.js';
import { runSettings } from './settings.js';
import { balanceOf, encodeSplit as encode, loadTrainingData, relabel, runVocabulary } from './run-data.js';

export { loadTrainingData } from './run-data.js';

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
  /** Epochs finished over the whole run, resumed invocations included (an early stop counts its last epoch). */
  epochsDone: number;
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

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const makeBatches = (data: Encoded, order: number[][]): LabelledBatch[] => order.map((idx) => labelledBatch(data, idx));

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
  checkTrainOptions({ out: opts.out, lr: s.lr, epochs: s.epochs, batchSize: s.batchSize, patience: s.patience, minFreq: s.minFreq, ...(s.evalEvery !== null ? { evalEvery: s.evalEvery } : {}) });
  const optimizer = s.optimizer;
  const { lr, epochs, batchSize, patience, seed, evalEvery } = s;

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
    tokenizer: s.tokenizer, classWeights: s.classWeights, selectBy: s.selectBy, ...(evalEvery !== null ? { evalEvery } : {}),
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
  const runner = await openNodeClassifierRunner(graphs, params, state, { device: opts.device ?? 'cpu', ...(opts.threads ? { threads: opts.threads } : {}) });

  const every = opts.checkpointEvery ?? TRAIN_DEFAULTS.checkpointEvery;
  const progress = makeProgress(opts.progress ?? false);
  let lastSave = performance.now();

  const saveState = async (position: LoopPosition): Promise<void> => {
    await saveCheckpoint(checkpointPath, { params: runner.params(), state: runner.state(), position: { ...position, metricsLines: metrics.lines }, run: record as unknown as Record<string, unknown> });
    lastSave = performance.now();
  };
  const saveBestModel = async (): Promise<void> => {
    const current = runner.params();
    // Only the loop position proper: the file is the same however often the run was resumed.
    const { epochSums: _sums, metricsLines: _lines, ...position } = loop.pos;
    await saveCheckpoint(bestPath, { params: current, state: new Map(), position });
    await writeFileAtomic(modelPath, encodeModel(classifierModel(config, { params: current, vocab: vocab.toJSON(), tokenizer: s.tokenizer })));
  };
  // The last dev evaluation's class-balance warning (none: undefined), logged with that evaluation's
  // line: with evalEvery an early evaluation's warning must not outlive it into the epoch's line.
  let devWarning: string | undefined;
  const selectBy = s.selectBy === 'macro-f1' ? 'macro-f1' : 'accuracy';
  const masks = new DropoutBuffers(); // one step's batch lives only for that step
  const loop: TrainingLoop<LabelledBatch> = new TrainingLoop({
    runner, ids: train.ids,
    batch: (idx, step) => withDropout(labelledBatch(train, idx), config, seed, step, masks),
    tokens: (b) => b.batch.lengths.reduce((x, y) => x + y, 0),
    settings: {
      seed, lr, batchSize, epochs, patience, selectBy, ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
      ...(evalEvery !== null ? { evalEvery, selectWithinEpoch: true } : {}),
    },
    callbacks: { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onStep ? { onStep: opts.onStep } : {}), ...(opts.onEpochEnd ? { onEpochEnd: opts.onEpochEnd } : {}) },
    position: pos,
    hooks: {
      evaluate: async () => {
        const ev = await runner.evaluate(dev);
        const balance = balanceOf(dataset.labels, dev, ev.predictions);
        devWarning = balance.warning ?? undefined;
        return { loss: ev.loss / Math.max(ev.total, 1), accuracy: ev.correct / Math.max(ev.total, 1), macroF1: balance.macroF1, balancedAccuracy: balance.balancedAccuracy };
      },
      diverged: async (r, step, epoch) => {
        const kept = (await exists(checkpointPath)) ? `${checkpointPath} (the last good state) was left untouched` : 'no checkpoint had been written yet';
        return new TrainingDivergedError(
          `loss became ${r.loss} (gradient norm ${r.gradNorm}) at step ${step}, epoch ${epoch + 1}; training stopped and ${kept}. Lower the learning rate (now ${lr}) or clip gradients (--clip)`,
        );
      },
      epochStart: (epoch, n, done) => {
        progress.start(n, `epoch ${epoch + 1}/${epochs}`);
        if (done > 0) progress.update(done, { loss: '-', acc: '-', tps: '-' });
      },
      afterStep: async (st: StepInfo) => {
        progress.update(st.batch, { loss: st.epochLoss.toFixed(4), acc: st.epochAccuracy.toFixed(3), tps: st.tokensPerSecond.toFixed(0) });
        if (st.step % 50 === 0) await metrics.append({ type: 'step', step: st.step, epoch: st.epoch, loss: st.loss, gradNorm: st.gradNorm });
        const due = 'steps' in every ? st.step % every.steps === 0 : performance.now() - lastSave >= every.seconds * 1000;
        if (due && st.batch < st.batches) await saveState({ ...loop.pos, epochSums: loop.sums });
      },
      afterEvaluation: async (st, dev, improved) => {
        // Macro-F1 too: with --select-by macro-f1 it is what `best` was decided by.
        await metrics.append({ type: 'eval', step: st.step, epoch: st.epoch, batch: st.batch, devLoss: dev.loss, devAccuracy: dev.accuracy, ...(dev.macroF1 !== undefined ? { devMacroF1: dev.macroF1 } : {}), best: improved });
        if (!opts.progress) {
          const f1 = selectBy === 'macro-f1' && dev.macroF1 !== undefined ? ` macro-F1 ${dev.macroF1.toFixed(4)}` : '';
          log(`step ${st.step} (epoch ${st.epoch}, batch ${st.batch}/${st.batches}): dev loss ${dev.loss.toFixed(4)} acc ${(100 * dev.accuracy).toFixed(2)}%${f1}${improved ? ' (best)' : ''}`);
          if (devWarning) log(`warning: dev (step ${st.step}): ${devWarning}`);
        }
        if (improved) await saveBestModel();
      },
      epochStop: () => progress.stop(),
      afterEpoch: async (rec, improved) => {
        const r = rec as EpochRecord;
        await metrics.append({ type: 'epoch', ...r });
        log(`epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)} acc ${(100 * r.trainAccuracy).toFixed(2)}% | dev loss ${r.devLoss.toFixed(4)} acc ${(100 * r.devAccuracy).toFixed(2)}% balanced ${(100 * r.devBalancedAccuracy).toFixed(2)}% macro-F1 ${r.devMacroF1.toFixed(4)}${improved ? ' (best)' : ''} | ${r.seconds.toFixed(1)}s, ${r.tokensPerSecond.toFixed(0)} tok/s`);
        if (devWarning) log(`warning: dev: ${devWarning}`);
        devWarning = undefined;
        if (improved) await saveBestModel();
        await saveState({ ...loop.pos, epoch: loop.pos.epoch + 1, batchInEpoch: 0, epochSums: { loss: 0, correct: 0, seen: 0, tokens: 0, seconds: 0 } });
      },
      earlyStop: () => {
        const p = loop.pos;
        log(`early stop: no dev improvement for ${patience} epochs (best ${s.selectBy === 'macro-f1' ? `macro-F1 ${(p.bestDevScore ?? 0).toFixed(4)}` : `${(100 * p.bestDevAccuracy).toFixed(2)}%`} at epoch ${p.bestEpoch})`);
      },
      stopped: async (by) => {
        await saveState({ ...loop.pos, epochSums: loop.sums });
        log(`stopped after step ${loop.pos.step} (${by === 'signal' ? String(opts.signal?.reason ?? 'signal') : 'maxSteps'}): checkpoint written to ${checkpointPath}`);
      },
    },
  });

  let result;
  try {
    result = await loop.run();
  } catch (e) {
    progress.stop();
    await runner.release();
    throw e;
  }
  progress.stop();
  const { stoppedBy } = result;
  pos = loop.pos;

  let testAccuracy: number | null = null;
  let testBalance: BalanceSummary | null = null;
  if (!stoppedBy && test.length > 0 && (await exists(bestPath))) {
    const best = await loadCheckpoint(bestPath);
    const testRunner = await openNodeClassifierRunner(graphs, best.params, runner.state());
    const ev = await testRunner.evaluate(test);
    testAccuracy = ev.correct / ev.total;
    await testRunner.release();
    testBalance = balanceOf(dataset.labels, test, ev.predictions);
    log(`test accuracy (best dev checkpoint, epoch ${pos.bestEpoch}): ${(100 * testAccuracy).toFixed(2)}%`);
    log(`test: ${formatBalance(testBalance)}`);
    if (testBalance.warning) log(`warning: test: ${testBalance.warning}`);
    await metrics.append({ type: 'test', accuracy: testAccuracy, bestEpoch: pos.bestEpoch, macroF1: testBalance.macroF1, balancedAccuracy: testBalance.balancedAccuracy, majorityAccuracy: testBalance.majority.accuracy });
  }
  await runner.release();
  return {
    config, epochs: result.records as EpochRecord[], epochsDone: pos.epoch, stepLosses: result.stepLosses, bestDevAccuracy: pos.bestDevAccuracy, bestEpoch: pos.bestEpoch, testAccuracy, test: testBalance, modelPath, checkpointPath,
    stoppedEarly: result.stoppedEarly, interrupted: stoppedBy !== undefined, ...(stoppedBy ? { stoppedBy } : {}), ...(stoppedBy === 'signal' ? { signalReason: opts.signal?.reason } : {}), step: pos.step,
  };
}

