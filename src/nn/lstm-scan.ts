// The ONNX LSTM (gates i, o, f, c; B = [Wb, Rb]; sequence_lens; forward, reverse,
// bidirectional) as a Scan of basic ops. Same results as the LSTM op, in any float dtype:
// onnxruntime's LSTM kernel is float32 only, so float64 checks run this instead; it also
// serves execution providers without an LSTM kernel.
//
// All directions run in one Scan over [T, D, B, ·] in processing order (see
// graph/lstm-layout.ts). Padding steps keep h and c and emit zeros, so Y_h / Y_c are
// the states at each sequence's last valid step, as the op defines them.
import { GraphBuildError } from '../graph/errors.js';
import type { Value } from '../graph/ir.js';
import * as op from '../graph/ops/index.js';
import type { LstmInputs, LstmOptions } from '../graph/ops/nn.js';
import { lstmLengths, numDirections, stackDirections, stepsFirst, swapOrder, zeroState } from '../graph/lstm-layout.js';

export function lstmScan(inp: LstmInputs, opts: LstmOptions): { y: Value; yH: Value; yC: Value } {
  const { x, w, r } = inp;
  const H = opts.hiddenSize;
  const dir = opts.direction ?? 'forward';
  const D = numDirections(dir);
  if (x.rank !== 3) throw new GraphBuildError(`lstmScan: X '${x.name}' must be [T, B, I]`);
  const { lens, mask } = lstmLengths(x, inp.sequenceLens ?? null);

  const I = w.shape?.[2];
  if (typeof I !== 'number') throw new GraphBuildError(`lstmScan: W '${w.name}' needs a static input size, found ${w.shape ? `[${w.shape.join(', ')}]` : 'no shape'}`);
  // The input projection for all steps at once: one GEMM per direction over T·B rows.
  const xs = op.reshape(stackDirections(x, dir, lens, 0), [D, -1, I]); // [D, T·B, I]
  let xw = op.matMul(xs, op.transpose(w, [0, 2, 1])); // [D, T·B, 4H]
  if (inp.b) {
    const [wb, rb] = op.split(inp.b, [4 * H, 4 * H], 1);
    xw = op.add(xw, op.unsqueeze(op.add(wb!, rb!), [1]));
  }
  xw = stepsFirst(xw, x, D, 4 * H); // [T, D, B, 4H]
  const rt = op.transpose(r, [0, 2, 1]); // [D, H, 4H]
  const h0 = inp.initialH ?? zeroState(x, D, H);
  const c0 = inp.initialC ?? zeroState(x, D, H);

  const { states, outputs } = op.scan({
    name: 'lstm_scan',
    initialStates: [h0, c0],
    scanInputs: mask ? [xw, mask] : [xw],
    body: ([h, c], [xwT, m]) => {
      const gates = op.add(xwT!, op.matMul(h!, rt)); // [D, B, 4H]
      const [sPre, cPre] = op.split(gates, [3 * H, H], -1);
      const [i, o, f] = op.split(op.sigmoid(sPre!), [H, H, H], -1);
      const cNew = op.add(op.mul(f!, c!), op.mul(i!, op.tanh(cPre!)));
      const hNew = op.mul(o!, op.tanh(cNew));
      if (!m) return { states: [hNew, cNew], outputs: [hNew] };
      return {
        states: [op.where(m, hNew, h!), op.where(m, cNew, c!)],
        outputs: [op.where(m, hNew, 0)],
      };
    },
  });
  const names = opts.names ?? [undefined, undefined, undefined];
  const y = swapOrder(outputs[0]!, dir, lens);
  return {
    y: names[0] ? op.identity(y, { name: names[0] }) : y,
    yH: names[1] ? op.identity(states[0]!, { name: names[1] }) : states[0]!,
    yC: names[2] ? op.identity(states[1]!, { name: names[2] }) : states[1]!,
  };
}
