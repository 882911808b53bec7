// Bidirectional LSTM over a time-major ragged batch.
import { op, type Value } from '../graph/index.js';
import { uniformInit, type ParamSpec } from './params.js';

export interface BilstmParams {
  /** [2, 4H, In], gates i, o, f, c; direction 0 forward, 1 backward. */
  W: Value;
  /** [2, 4H, H]. */
  R: Value;
  /** [2, 8H] = [Wb, Rb]. */
  B: Value;
}

/** W [2, 4H, In], R [2, 4H, H], B [2, 8H], all U(−1/√H, 1/√H) as PyTorch's nn.LSTM. */
export function bilstmParamSpecs(inWidth: number, hidden: number): ParamSpec[] {
  const H = hidden;
  return [
    { name: 'W', dims: [2, 4 * H, inWidth], init: uniformInit(H), layout: 'lstm-W' },
    { name: 'R', dims: [2, 4 * H, H], init: uniformInit(H), layout: 'lstm-R' },
    { name: 'B', dims: [2, 8 * H], init: uniformInit(H), layout: 'lstm-B' },
  ];
}

/** The block's parameters from the model's map (names W, R, B within `get`'s scope). */
export function bilstmParams(get: (name: string) => Value): BilstmParams {
  return { W: get('W'), R: get('R'), B: get('B') };
}

/**
 * x [T, B, In], lengths int32 [B] → [T, B, 2H], the forward direction's H units first,
 * then the backward's (PyTorch's bidirectional layout). Steps t ≥ length are zero.
 */
export function bilstm(x: Value, lengths: Value, p: BilstmParams, hidden: number): Value {
  const { y } = op.lstm({ x, w: p.W, r: p.R, b: p.B, sequenceLens: lengths }, { hiddenSize: hidden, direction: 'bidirectional' });
  // Y is [T, 2, B, H]; bring the direction next to the units before merging them.
  return op.reshape(op.transpose(y, [0, 2, 1, 3]), [0, 0, 2 * hidden]);
}

/** The baseline layer: a plain (ungated) BiLSTM. */
export const plainBilstm = bilstm;
