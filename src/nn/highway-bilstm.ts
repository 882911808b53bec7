// Highway BiLSTM block: H = BiLSTM(x), T = σ(x·W_T + b_T), y = H·T + C(x)·(1 − T).
import { op, type Value } from '../graph/index.js';
import type { CarryMode } from '../models/config.js';
import { GraphBuildError } from '../graph/index.js';
import { bilstm, type BilstmParams } from './bilstm.js';
import { highwayCombine, transformGate } from './highway.js';
import { linear } from './linear.js';

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
}

/** x [T, B, In] → { y [T, B, 2H], gate [T, B, 2H] }. */
export function highwayBilstm(x: Value, lengths: Value, p: HighwayBilstmParams, opts: HighwayBilstmOptions): { y: Value; gate: Value } {
  const h = bilstm(x, lengths, p, opts.hidden);
  const gate = transformGate(x, p.gateWeight, p.gateBias);
  return { y: highwayCombine(h, gate, carry(x, p, opts)), gate };
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
