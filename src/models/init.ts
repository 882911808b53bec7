// Parameter names, shapes and seeded initial values of a classifier.
import { Rng } from '../data/rng.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import type { CarryMode, ModelConfig } from './config.js';
import { bilstmParamSpecs, embeddingParamSpecs, highwayBilstmParamSpecs, linearParamSpecs, scoped, type ParamInit, type ParamSpec } from '../nn/index.js';

export type { ParamInit, ParamSpec };

/** The carry of highway layer `layer` (1-based): only layer 1's input (the embedding) can be
 *  narrower than 2·hidden, so later layers carry their input as it is whatever `config.carry` says. */
export function layerCarry(config: ModelConfig, layer: number): CarryMode {
  return layer === 1 ? config.carry : 'identity';
}

/** The parameters of layer `layer` (1-based), scoped within it (`bilstm.W`, `gate.weight`, …). */
export function layerParamSpecs(config: ModelConfig, layer: number): ParamSpec[] {
  const inWidth = layer === 1 ? config.embedDim : 2 * config.hidden;
  return config.kind === 'highway'
    ? highwayBilstmParamSpecs(inWidth, config.hidden, layerCarry(config, layer), config.gateBias)
    : scoped('bilstm', bilstmParamSpecs(inWidth, config.hidden));
}

/**
 * Every parameter of the classifier, in graph order (and PyTorch's registration order):
 * `embedding.weight`, then per layer (1-based) `layer{l}.bilstm.{W,R,B}`, `layer{l}.gate.*`
 * and, for a projection carry, `layer1.carry.*`; last `output.{weight,bias}`. Composed from the
 * specs each nn block exports.
 */
export function paramSpecs(config: ModelConfig): ParamSpec[] {
  const specs = scoped('embedding', embeddingParamSpecs(config.vocabSize, config.embedDim));
  for (let l = 1; l <= config.layers; l++) specs.push(...scoped(`layer${l}`, layerParamSpecs(config, l)));
  specs.push(...scoped('output', linearParamSpecs(2 * config.hidden, config.classes)));
  return specs;
}

/**
 * Seeded, deterministic float32 initial values. Each parameter draws from its own stream,
 * seeded from (config.seed, name), so one parameter's values do not depend on the shapes
 * of the others (changing vocabSize leaves the LSTM weights as they were).
 */
export function initParams(config: ModelConfig): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const spec of paramSpecs(config)) out.set(spec.name, initTensor(spec, paramRng(config.seed, spec.name)));
  return out;
}

export function paramRng(seed: number, name: string): Rng {
  // FNV-1a over "seed/name".
  let h = 0x811c9dc5;
  for (const ch of `${Math.trunc(seed) >>> 0}/${name}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return new Rng(h);
}

function initTensor(spec: ParamSpec, rng: Rng): Tensor<'float32'> {
  const t = allocate('float32', spec.dims);
  const d = t.data;
  const init = spec.init;
  switch (init.kind) {
    case 'uniform':
      for (let i = 0; i < d.length; i++) d[i] = (2 * rng.nextFloat() - 1) * init.bound;
      break;
    case 'constant':
      d.fill(init.value);
      break;
    case 'embedding': {
      const width = spec.dims[1]!;
      // Row 0 is padding: it stays zero.
      for (let i = width; i < d.length; i++) d[i] = init.std * rng.normal();
      break;
    }
  }
  return t;
}

/** Total number of scalar parameters. */
export function countParams(params: Map<string, Tensor>): number {
  let n = 0;
  for (const t of params.values()) n += t.data.length;
  return n;
}
