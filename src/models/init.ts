// Parameter names, shapes and seeded initial values of a classifier.
import { Rng } from '../data/rng.js';
import { allocate, type Tensor } from '../onnx/tensor.js';
import type { ModelConfig } from './config.js';

export type ParamInit =
  | { kind: 'embedding'; std: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number };

export interface ParamSpec {
  name: string;
  dims: number[];
  init: ParamInit;
}

/**
 * Every parameter of the classifier, in graph order. Layers are 1-based. Layer 1 alone
 * may need a carry projection: later layers' inputs are already 2·hidden wide, so their
 * carry is the identity whatever `config.carry` says.
 */
export function paramSpecs(config: ModelConfig): ParamSpec[] {
  const { vocabSize: V, embedDim: E, hidden: H, classes: C } = config;
  const u = (fanIn: number): ParamInit => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
  const specs: ParamSpec[] = [{ name: 'embedding.weight', dims: [V, E], init: { kind: 'embedding', std: 0.1 } }];
  for (let l = 1; l <= config.layers; l++) {
    const In = l === 1 ? E : 2 * H;
    const p = `layer${l}`;
    // PyTorch's nn.LSTM: every weight and both biases U(−1/√H, 1/√H).
    specs.push(
      { name: `${p}.bilstm.W`, dims: [2, 4 * H, In], init: u(H) },
      { name: `${p}.bilstm.R`, dims: [2, 4 * H, H], init: u(H) },
      { name: `${p}.bilstm.B`, dims: [2, 8 * H], init: u(H) },
    );
    if (config.kind === 'highway') {
      specs.push(
        { name: `${p}.gate.weight`, dims: [In, 2 * H], init: u(In) },
        { name: `${p}.gate.bias`, dims: [2 * H], init: { kind: 'constant', value: config.gateBias } },
      );
      if (l === 1 && config.carry === 'projection') {
        specs.push(
          { name: `${p}.carry.weight`, dims: [In, 2 * H], init: u(In) },
          { name: `${p}.carry.bias`, dims: [2 * H], init: u(In) },
        );
      }
    }
  }
  specs.push(
    { name: 'output.weight', dims: [2 * H, C], init: u(2 * H) },
    { name: 'output.bias', dims: [C], init: u(2 * H) },
  );
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
