// Gather (the embedding lookup): scatter-add dy into zeros of the data's shape, so rows
// looked up several times sum their gradients. ScatterND reduction="add" needs opset 16.
// Gathering along axis a ≠ 0 moves that axis to the front and back around the scatter.
// Negative indices are not supported (the gradient assumes 0 ≤ index < dim).
import { refuse, type GradientTable } from '../rule.js';
import type { Value } from '../../graph/ir.js';
import { normAxis } from '../../graph/shape.js';
import * as op from '../../graph/ops/index.js';
import { rankOf } from './util.js';

/** The gradient rules of this file, by op type (collected into GRADIENTS by ./index.ts). */
export const rules: GradientTable = {
  Gather: ({ node, graph, gradOutputs: [dy], opset }) => {
    const [data, indices] = node.inputs as [Value, Value];
    if ((opset ?? 17) < 16) {
      refuse(node, `its gradient scatters with ScatterND reduction="add", which needs opset ≥ 16 (emitting at ${opset})`);
    }
    const r = rankOf(node, data);
    const q = rankOf(node, indices);
    const a = normAxis('Gather', node.attrInt('axis', 0), r);
    const idx = op.unsqueeze(indices.dtype === 'int64' ? indices : op.cast(indices, 'int64'), [-1]);
    if (a === 0) return [op.scatterND(op.zerosShapedLike(data), idx, dy!, 'add'), null];
    // dy is data[:a] ++ indices ++ data[a+1:]; bring the index dims to the front.
    const dims = [...Array(r + q - 1).keys()];
    const dyT = op.transpose(dy!, [...dims.slice(a, a + q), ...dims.slice(0, a), ...dims.slice(a + q)]);
    const perm = [a, ...[...Array(r).keys()].filter((i) => i !== a)];
    const permuted = data.shape!.map((_, i) => data.shape![perm[i]!]!);
    const zeros = permuted.every((d) => typeof d === 'number')
      ? op.zerosOfShape(graph.vector(permuted as number[]), data.dtype as 'float32', permuted)
      : op.zerosOfShape(op.gather(op.shapeOf(data), graph.vector(perm)), data.dtype as 'float32', permuted);
    const scattered = op.scatterND(zeros, idx, dyT, 'add');
    return [op.transpose(scattered, perm.map((_, i) => perm.indexOf(i))), null];
  },
};
