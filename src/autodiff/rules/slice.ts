// Slice (constant starts/ends/axes, steps of 1): Pad the gradient back with zeros.
// A symbolic dim is fine when the pads do not depend on it: start ≥ 0, and end either
// past the end (≥ 2^31−1) or negative (counted from the end; assumes it lands ≥ start).
import { refuse, type GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import { normAxis } from '../../graph/shape.js';
import * as op from '../../graph/ops/index.js';
import { constInput, rankOf } from './util.js';

const TO_END = 2 ** 31 - 1;

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Slice: ({ node, gradOutputs: [dy] }) => {
    const x = node.inputs[0] as Value;
    const rank = rankOf(node, x);
    const starts = constInput(node, 1, 'starts');
    const ends = constInput(node, 2, 'ends');
    const axes = node.inputs[3] ? constInput(node, 3, 'axes') : starts.map((_, i) => i);
    const steps = node.inputs[4] ? constInput(node, 4, 'steps') : starts.map(() => 1);
    const pads: number[] = Array(2 * rank).fill(0);
    axes.forEach((axis, k) => {
      const a = normAxis('Slice', axis, rank);
      if (steps[k] !== 1) refuse(node, `step ${steps[k]} on axis ${a}: only steps of 1 are supported`);
      const d = x.shape![a]!;
      if (typeof d === 'number') {
        const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
        const s = clamp(starts[k]!);
        pads[a] = s;
        pads[a + rank] = d - Math.max(clamp(ends[k]!), s);
      } else {
        if (starts[k]! < 0) refuse(node, `negative start on axis ${a} of symbolic size '${d}'`);
        if (ends[k]! >= 0 && ends[k]! < TO_END) refuse(node, `end ${ends[k]} on axis ${a} of symbolic size '${d}'`);
        pads[a] = starts[k]!;
        pads[a + rank] = ends[k]! < 0 ? -ends[k]! : 0;
      }
    });
    return [op.padZeros(dy!, pads), null, null, null, null];
  },
};
