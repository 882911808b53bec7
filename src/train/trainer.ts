// The training loop: data → vocabulary → artifact → steps in onnxruntime → dev evaluation
// each epoch → best checkpoint and model.onnx; resumable to the exact same losses.
import { appendFile, mkdir, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { readDataset } from '../data/files.js';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { Rng } from '../data/rng.js';
import { lengthBucketedBatches, padBatch, type PaddedBatch } from '../data/batches.js';
import type { Dataset, Example } from '../data/example.js';
import { resolveConfig, type ModelConfig } from '../models/config.js';
import { initParams, paramSpecs } from '../models/init.js';
import { classifierModel } from '../models/classifier.js';
import { encodeModel } from '../onnx/proto.js';
import { optimizerState } from '../optim/index.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import { buildStepGraphs } from './step-graph.js';
import { writeArtifact } from './artifact.js';
import { TrainSession } from './train-session.js';
import { dropoutMask, stepRng } from './dropout.js';
import { checkCheckpointFits, loadCheckpoint, saveCheckpoint, type LoopPosition } from './checkpoint.js';
import { makeProgress } from './progress.js';
import { loadPretrainedEmbeddings } from './embeddings.js';
import { TrainingDivergedError } from './errors.js';
import { defaultOptimizer, TRAIN_DEFAULTS, type TrainOptions } from './options.js';

export interface EpochRecord {
  epoch: number;
  steps: number;
  trainLoss: number;
  trainAccuracy: number;
  devLoss: number;
  devAccuracy: number;
  seconds: number;
  tokensPerSecond: number;
}

export interface TrainResult {
  config: ModelConfig;
  epochs: EpochRecord[];
  /** Per-step training losses of this invocation, in order (the resume test compares them). */
  stepLosses: number[];
  bestDevAccuracy: number;
  bestEpoch: number;
  testAccuracy: number | null;
  modelPath: string;
  stoppedEarly: boolean;
  /** True when maxSteps ended the run before the epochs were done. */
  interrupted: boolean;
}

interface Encoded {
  ids: number[][];
  labels: number[];
}

export async function loadTrainingData(opts: TrainOptions): Promise<Dataset> {
  if (opts.dataset) return opts.dataset;
  if (opts.data) {
    return readDataset(opts.data, {
      binary: !opts.fiveClass,
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.phrases ? { phrases: true } : {}),
      ...(opts.distinctPhrases ? { phrases: true, distinctPhrases: true } : {}),
    });
  }
  return builtinDataset();
}

function encode(examples: Example[], vocab: Vocabulary, maxLen?: number): Encoded {
  return {
    ids: examples.map((e) => {
      const ids = vocab.encode(tokenize(e.text));
      return maxLen ? ids.slice(0, maxLen) : ids;
    }),
    labels: examples.map((e) => e.label),
  };
}

function makeBatches(data: Encoded, order: number[][]): { batch: PaddedBatch; labels: BigInt64Array }[] {
  return order.map((idx) => ({
    batch: padBatch(idx.map((i) => data.ids[i]!)),
    labels: BigInt64Array.from(idx, (i) => BigInt(data.labels[i]!)),
  }));
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seed = opts.seed ?? TRAIN_DEFAULTS.seed;
  const lr = opts.lr ?? TRAIN_DEFAULTS.lr;
  const epochs = opts.epochs ?? TRAIN_DEFAULTS.epochs;
  const batchSize = opts.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const patience = opts.patience ?? TRAIN_DEFAULTS.patience;
  const optimizer = opts.optimizer ?? defaultOptimizer();
  await mkdir(opts.out, { recursive: true });

  const dataset = await loadTrainingData(opts);
  const vocab = Vocabulary.build(dataset.train.map((e) => tokenize(e.text)), { minFreq: opts.minFreq ?? TRAIN_DEFAULTS.minFreq });
  const config = resolveConfig({ seed, ...opts.model, vocabSize: vocab.size, classes: dataset.labels.length, labels: dataset.labels });
  const train = encode(dataset.train, vocab, opts.maxLen);
  const dev = makeBatches(encode(dataset.dev, vocab), lengthBucketedBatches(encode(dataset.dev, vocab).ids, 128, null));
  const test = dataset.test.length > 0 ? makeBatches(encode(dataset.test, vocab), lengthBucketedBatches(encode(dataset.test, vocab).ids, 128, null)) : [];
  log(`data: ${dataset.train.length} train / ${dataset.dev.length} dev / ${dataset.test.length} test, vocabulary ${vocab.size}, labels ${dataset.labels.join(', ')}`);

  const checkpointPath = join(opts.out, 'checkpoint.safetensors');
  const bestPath = join(opts.out, 'best.safetensors');
  const modelPath = join(opts.out, 'model.onnx');
  const metricsPath = join(opts.out, 'metrics.jsonl');

  let params: Map<string, Tensor>;
  let state: Map<string, Tensor> | null = null;
  let pos: LoopPosition = { step: 0, epoch: 0, batchInEpoch: 0, bestDevAccuracy: -1, bestEpoch: -1, epochsWithoutImprovement: 0, seed };
  if (opts.resume && (await exists(checkpointPath))) {
    const ckpt = await loadCheckpoint(checkpointPath);
    checkCheckpointFits(ckpt, { params: paramSpecs(config) }, checkpointPath);
    params = ckpt.params;
    state = ckpt.state;
    pos = ckpt.position;
    if (pos.seed !== seed) throw new TrainingDivergedError(`checkpoint was made with seed ${pos.seed}, this run has seed ${seed}: pass --seed ${pos.seed}`);
    log(`resuming at step ${pos.step} (epoch ${pos.epoch + 1}, batch ${pos.batchInEpoch})`);
  } else {
    params = initParams(config);
    if (opts.embeddings) {
      const c = await loadPretrainedEmbeddings(opts.embeddings, vocab, params.get('embedding.weight')!);
      log(`embeddings: ${c.found}/${c.total} vocabulary words (${((100 * c.found) / Math.max(c.total, 1)).toFixed(1)}%) found in ${opts.embeddings} (${c.fileWords} vectors, ${c.dim}-d${c.caseInsensitive ? `, ${c.caseInsensitive} matched after lower-casing` : ''}); the rest keep their random init`);
    }
    if (!opts.resume) await writeFile(metricsPath, '');
  }

  const graphs = buildStepGraphs(config, optimizer, { params });
  if (state) checkCheckpointFits({ params, state }, graphs, checkpointPath);
  if (!state) state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
  await writeArtifact(opts.out, graphs, {
    config, optimizer, vocab: vocab.toJSON(),
    hyperparameters: {
      lr, epochs, batchSize, patience, minFreq: opts.minFreq ?? TRAIN_DEFAULTS.minFreq, maxLen: opts.maxLen ?? null, seed, embeddings: opts.embeddings ?? null,
      ...(opts.phrases || opts.distinctPhrases ? { phrases: opts.distinctPhrases ? 'distinct' : 'all' } : {}),
    },
  });
  log(`train step graph: ${graphs.nodeCount} nodes, ${graphs.params.length} parameter tensors (${graphs.params.reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0)} weights)`);
  const session = await TrainSession.create(graphs, params, state, { device: opts.device ?? 'cpu', ...(opts.threads ? { threads: opts.threads } : {}) });

  const embedDim = config.embedDim;
  const outWidth = 2 * config.hidden;
  const progress = makeProgress(opts.progress ?? false);
  const records: EpochRecord[] = [];
  const stepLosses: number[] = [];
  let stoppedEarly = false;
  let interrupted = false;

  const saveBestModel = async (): Promise<void> => {
    const current = session.params();
    await saveCheckpoint(bestPath, { params: current, state: new Map(), position: pos });
    await writeFile(modelPath, encodeModel(classifierModel(config, { params: current, vocab: vocab.toJSON() })));
  };

  try {
    for (; pos.epoch < epochs; pos.epoch++, pos.batchInEpoch = 0) {
      const order = lengthBucketedBatches(train.ids, batchSize, new Rng(seed * 7919 + pos.epoch));
      const batches = makeBatches(train, order);
      progress.start(batches.length, `epoch ${pos.epoch + 1}/${epochs}`);
      const t0 = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let tokens = 0;
      for (let bi = pos.batchInEpoch; bi < batches.length; bi++) {
        const { batch, labels } = batches[bi]!;
        const step = pos.step + 1;
        const rng = stepRng(seed, step);
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
        lossSum += r.loss * batch.batch;
        correct += r.correct;
        seen += batch.batch;
        tokens += batch.lengths.reduce((a, b) => a + b, 0);
        const secs = (performance.now() - t0) / 1000;
        progress.update(bi + 1, { loss: (lossSum / seen).toFixed(4), acc: (correct / seen).toFixed(3), tps: (tokens / secs).toFixed(0) });
        if (pos.step % 50 === 0) {
          await appendFile(metricsPath, `${JSON.stringify({ type: 'step', step: pos.step, epoch: pos.epoch + 1, loss: r.loss, gradNorm: r.gradNorm })}\n`);
        }
        if (opts.maxSteps !== undefined && pos.step >= opts.maxSteps) {
          interrupted = true;
          break;
        }
      }
      progress.stop();
      if (interrupted) {
        await saveCheckpoint(checkpointPath, { params: session.params(), state: session.state(), position: pos });
        log(`stopped after step ${pos.step} (maxSteps); resume with --resume`);
        break;
      }
      const seconds = (performance.now() - t0) / 1000;
      const ev = await session.evaluate(dev);
      const record: EpochRecord = {
        epoch: pos.epoch + 1, steps: pos.step, trainLoss: lossSum / Math.max(seen, 1), trainAccuracy: correct / Math.max(seen, 1),
        devLoss: ev.loss / Math.max(ev.total, 1), devAccuracy: ev.correct / Math.max(ev.total, 1), seconds, tokensPerSecond: tokens / seconds,
      };
      records.push(record);
      await appendFile(metricsPath, `${JSON.stringify({ type: 'epoch', ...record })}\n`);
      const improved = record.devAccuracy > pos.bestDevAccuracy;
      if (improved) {
        pos.bestDevAccuracy = record.devAccuracy;
        pos.bestEpoch = record.epoch;
        pos.epochsWithoutImprovement = 0;
      } else pos.epochsWithoutImprovement++;
      log(`epoch ${record.epoch}: train loss ${record.trainLoss.toFixed(4)} acc ${(100 * record.trainAccuracy).toFixed(2)}% | dev loss ${record.devLoss.toFixed(4)} acc ${(100 * record.devAccuracy).toFixed(2)}%${improved ? ' (best)' : ''} | ${seconds.toFixed(1)}s, ${record.tokensPerSecond.toFixed(0)} tok/s`);
      if (improved) await saveBestModel();
      await saveCheckpoint(checkpointPath, { params: session.params(), state: session.state(), position: { ...pos, epoch: pos.epoch + 1, batchInEpoch: 0 } });
      if (pos.epochsWithoutImprovement >= patience) {
        stoppedEarly = true;
        log(`early stop: no dev improvement for ${patience} epochs (best ${(100 * pos.bestDevAccuracy).toFixed(2)}% at epoch ${pos.bestEpoch})`);
        pos.epoch++;
        break;
      }
    }
  } catch (e) {
    progress.stop();
    await session.release();
    throw e;
  }
  progress.stop();

  let testAccuracy: number | null = null;
  if (!interrupted && test.length > 0 && (await exists(bestPath))) {
    const best = await loadCheckpoint(bestPath);
    const evalSession = await TrainSession.create(graphs, best.params, session.state());
    const ev = await evalSession.evaluate(test);
    testAccuracy = ev.correct / ev.total;
    await evalSession.release();
    log(`test accuracy (best dev checkpoint, epoch ${pos.bestEpoch}): ${(100 * testAccuracy).toFixed(2)}%`);
    await appendFile(metricsPath, `${JSON.stringify({ type: 'test', accuracy: testAccuracy, bestEpoch: pos.bestEpoch })}\n`);
  }
  await session.release();
  return { config, epochs: records, stepLosses, bestDevAccuracy: pos.bestDevAccuracy, bestEpoch: pos.bestEpoch, testAccuracy, modelPath, stoppedEarly, interrupted };
}
