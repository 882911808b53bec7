// Highway BiLSTM block: H = BiLSTM(x), T = σ(x·W_T + b_T), y = H·T + C(x)·(1 − T).
import { op, type Value } from '../graph/index.js';
import { GraphBuildError } from '../graph/index.js';
import { bilstm, bilstmParams, bilstmParamSpecs, type BilstmParams } from './bilstm.js';
import { highwayCombine, transformGate } from './highway.js';
import { linear, linearParamSpecs } from './linear.js';
import { scoped, type ParamSpec } from './params.js';

/** How the carry C(x) reaches 2·hidden width: the input itself (needs input width 2·hidden),
 *  a learned projection, or the input padded with zeros (Srivastava et al. 2015, §3). */
export type CarryMode = 'identity' | 'projection' | 'zero-pad';

/**
 * The block's parameters, scoped within it: `bilstm.{W,R,B}`, `gate.{weight,bias}` ([In, 2H], [2H];
 * the bias starts at `gateBias`, negative so a deep stack starts by carrying its input) and, for
 * the projection carry only, `carry.{weight,bias}` ([In, 2H], [2H]).
 */
export function highwayBilstmParamSpecs(inWidth: number, hidden: number, carry: CarryMode, gateBias: number): ParamSpec[] {
  const width = 2 * hidden;
  return [
    ...scoped('bilstm', bilstmParamSpecs(inWidth, hidden)),
    ...scoped('gate', linearParamSpecs(inWidth, width, { kind: 'constant', value: gateBias })),
    ...(carry === 'projection' ? scoped('carry', linearParamSpecs(inWidth, width)) : []),
  ];
}

/** The block's parameter Values from the model's map (names within `get`'s scope). */
export function highwayBilstmParams(get: (name: string) => Value, carry: CarryMode): HighwayBilstmParams {
  const projection = carry === 'projection';
  return {
    ...bilstmParams((n) => get(`bilstm.${n}`)),
    gateWeight: get('gate.weight'),
    gateBias: get('gate.bias'),
    carryWeight: projection ? get('carry.weight') : null,
    carryBias: projection ? get('carry.bias') : null,
  };
}

export interface HighwayBilstmParams extends BilstmParams {
  /** [In, 2H]. */
  gateWeight: Value;
  /** [2H]. */
  gateBias: Value;
  /** Projection carry only: [In, 2H] and [2H]. */
  carryWeight?: Value | null;
  carryBias?: Value | null;
}

export interface HighwayBilstmOptions {
  carry: CarryMode;
  hidden: number;
  /**
   * The inference form (default false): a projection carry's MatMul shares one with the gate
   * (weights concatenated by Concat nodes over the parameters, which onnxruntime folds into one
   * constant at load time), and y = C + T·(H − C), one node fewer than H·T + C·(1 − T). The same
   * function within float rounding and the same parameters; the plain form is the one training
   * differentiates (fewer ops for autodiff to walk, no Concat/Split of parameters).
   */
  fused?: boolean;
}

/** x [T, B, In] → { y [T, B, 2H], gate [T, B, 2H] }. */
export function highwayBilstm(x: Value, lengths: Value, p: HighwayBilstmParams, opts: HighwayBilstmOptions): { y: Value; gate: Value } {
  const h = bilstm(x, lengths, p, opts.hidden);
  if (!opts.fused) {
    const gate = transformGate(x, p.gateWeight, p.gateBias);
    return { y: highwayCombine(h, gate, carry(x, p, opts)), gate };
  }
  const { gate, carried } = opts.carry === 'projection' ? fusedGateCarry(x, p, 2 * opts.hidden) : { gate: transformGate(x, p.gateWeight, p.gateBias), carried: carry(x, p, opts) };
  return { y: op.add(carried, op.mul(gate, op.sub(h, carried))), gate };
}

/** T(x) and the projection carry C(x) from one MatMul: x · [W_T | W_C] + [b_T | b_C], split in two. */
function fusedGateCarry(x: Value, p: HighwayBilstmParams, width: number): { gate: Value; carried: Value } {
  if (!p.carryWeight || !p.carryBias) throw new GraphBuildError("highway carry 'projection' needs carryWeight and carryBias");
  const weight = op.concat([p.gateWeight, p.carryWeight], 1); // [In, 2·width]
  const bias = op.concat([p.gateBias, p.carryBias], 0);
  const [pre, carried] = op.split(linear(x, weight, bias), [width, width], 2);
  return { gate: op.sigmoid(pre!), carried: carried! };
}

function carry(x: Value, p: HighwayBilstmParams, opts: HighwayBilstmOptions): Value {
  const width = 2 * opts.hidden;
  const inWidth = x.shape?.[2];
  switch (opts.carry) {
    case 'identity':
      if (typeof inWidth === 'number' && inWidth !== width) {
        throw new GraphBuildError(`highway carry 'identity' needs input width ${width} (2·hidden), found ${inWidth}`);
      }
      return x;
    case 'projection':
      if (!p.carryWeight || !p.carryBias) throw new GraphBuildError("highway carry 'projection' needs carryWeight and carryBias");
      return linear(x, p.carryWeight, p.carryBias);
    case 'zero-pad':
      return zeroPad(x, width);
  }
}

/** x [T, B, In] → [T, B, width]: x followed by zeros (Concat with ConstantOfShape, both plain ops). */
export function zeroPad(x: Value, width: number): Value {
  const inWidth = x.shape?.[2];
  if (typeof inWidth !== 'number') throw new GraphBuildError(`zero-pad carry needs a static input width, found ${x.toString()}`);
  if (inWidth > width) throw new GraphBuildError(`zero-pad carry cannot shrink width ${inWidth} to ${width}`);
  if (inWidth === width) return x;
  const g = x.graph;
  const pad = width - inWidth;
  const dims = op.concat([op.slice(op.shapeOf(x), [0], [2]) /* Shape's start/end need opset 15 */, g.vector([pad], 'int64')], 0);
  const zeros = op.zerosOfShape(dims, x.dtype === 'float64' ? 'float64' : 'float32', x.shape ? [x.shape[0]!, x.shape[1]!, pad] : null);
  return op.concat([x, zeros], 2);
}
