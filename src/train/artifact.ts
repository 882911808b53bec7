// The training artifact on disk: train_step.onnx, eval.onnx and artifact.json (names,
// shapes, model config, vocabulary, hyperparameters) — everything another runtime needs
// to run the same training.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeModel } from '../onnx/proto.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { ModelConfig } from '../models/config.js';
import type { OptimizerSpec } from '../optim/index.js';
import type { StepGraphs } from './step-graph.js';
import type { RowUpdateSpec } from './training-step.js';

export interface ArtifactJson {
  format: 'highway-onnx-artifact/1';
  config: ModelConfig;
  optimizer: OptimizerSpec;
  hyperparameters: Record<string, unknown>;
  labels: string[];
  vocab: string[];
  params: { name: string; dims: number[] }[];
  state: { name: string; dims: number[] }[];
  trainStep: {
    file: 'train_step.onnx';
    inputs: string[];
    outputs: string[];
    /** Output holding the updated value of input X. */
    updatedOutputSuffix: '.next';
    /**
     * Lazy embedding update only: these inputs (the table and its moments) come back by rows
     * instead, `<X>.next_rows` [U, E] at the row ids in output `idsOutput` (int64 [U]); rows not
     * named keep their values.
     */
    rowUpdates?: RowUpdateSpec & { rowsOutputSuffix: '.next_rows' };
    nodes: number;
    bytes: number;
  };
  eval: { file: 'eval.onnx'; inputs: string[]; outputs: string[] };
}

/**
 * Writes train_step.onnx, eval.onnx and artifact.json into `dir`, each atomically and only when
 * its content differs from what is there.
 * @throws FileWriteError (E_WRITE)
 */
export async function writeArtifact(
  dir: string,
  graphs: StepGraphs,
  info: { config: ModelConfig; optimizer: OptimizerSpec; hyperparameters: Record<string, unknown>; vocab: string[] },
): Promise<ArtifactJson> {
  await mkdir(dir, { recursive: true });
  const stepBytes = encodeModel(graphs.trainStep);
  // Atomic, and only when the bytes change: a resume leaves an identical artifact untouched.
  await writeFileAtomic(join(dir, 'train_step.onnx'), stepBytes, { ifChanged: true });
  await writeFileAtomic(join(dir, 'eval.onnx'), encodeModel(graphs.eval), { ifChanged: true });
  const names = (vs: { name?: string | null }[] | null | undefined): string[] => (vs ?? []).map((v) => v.name ?? '');
  const artifact: ArtifactJson = {
    format: 'highway-onnx-artifact/1',
    config: info.config,
    optimizer: info.optimizer,
    hyperparameters: info.hyperparameters,
    labels: info.config.labels,
    vocab: info.vocab,
    params: graphs.params,
    state: graphs.state,
    trainStep: {
      file: 'train_step.onnx',
      inputs: names(graphs.trainStep.graph?.input),
      outputs: names(graphs.trainStep.graph?.output),
      updatedOutputSuffix: '.next',
      ...(graphs.rowUpdates ? { rowUpdates: { ...graphs.rowUpdates, rowsOutputSuffix: '.next_rows' as const } } : {}),
      nodes: graphs.nodeCount,
      bytes: stepBytes.length,
    },
    eval: { file: 'eval.onnx', inputs: names(graphs.eval.graph?.input), outputs: names(graphs.eval.graph?.output) },
  };
  await writeFileAtomic(join(dir, 'artifact.json'), `${JSON.stringify(artifact, null, 1)}\n`, { ifChanged: true });
  return artifact;
}
