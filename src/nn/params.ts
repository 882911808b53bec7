// What a layer owns: each nn block exports the specs of its parameters (name within the block,
// shape, initialisation, how the tensor is laid out) beside its forward function, as PyTorch
// modules and tfjs layers do. Models compose blocks by scoping these names ("layer1.gate.weight")
// and initialise, check and map (to PyTorch state dicts) from the same specs.
import type { Value } from '../graph/index.js';

/** How a parameter's initial values are drawn. */
export type ParamInit =
  | { kind: 'embedding'; std: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number };

/**
 * How the tensor is laid out, for converters to other frameworks:
 * - `plain`: as PyTorch stores it;
 * - `linear-weight`: [In, Out] (x·W), PyTorch's nn.Linear stores [Out, In];
 * - `lstm-W` / `lstm-R` / `lstm-B`: ONNX LSTM packing ([D, 4H, In] / [D, 4H, H] / [D, 8H],
 *   gates i, o, f, c), PyTorch's nn.LSTM keeps per-direction weight_ih/weight_hh/bias_ih/bias_hh.
 */
export type ParamLayout = 'plain' | 'linear-weight' | 'lstm-W' | 'lstm-R' | 'lstm-B';

export interface ParamSpec {
  /** Dotted name: within its block ('weight'), or scoped by the model ('layer1.gate.weight'). */
  name: string;
  dims: number[];
  init: ParamInit;
  layout: ParamLayout;
}

/** PyTorch's default for nn.Linear and nn.LSTM: U(−1/√fanIn, 1/√fanIn). */
export function uniformInit(fanIn: number): ParamInit {
  return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
}

/** The specs with `scope.` put before each name. */
export function scoped(scope: string, specs: ParamSpec[]): ParamSpec[] {
  return specs.map((s) => ({ ...s, name: `${scope}.${s.name}` }));
}

/** A block's parameter Values by name within the block, looked up in the model's scoped map.
 *  Throws a plain Error naming the full name when a parameter is missing (a builder bug:
 *  models check the map against their specs first). */
export function paramsIn(scope: string, all: ReadonlyMap<string, Value>): (name: string) => Value {
  return (name) => {
    const v = all.get(`${scope}.${name}`);
    if (!v) throw new Error(`parameter '${scope}.${name}' is missing`);
    return v;
  };
}
