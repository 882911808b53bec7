// LSTM initial states fixed at export time. torch.onnx.export writes an LSTM without a given
// (h0, c0) as `Expand(Constant zeros [D, B_export, H], [D, batch, H])`: the constant carries the
// export batch, so the model runs at that batch only (onnxruntime: "invalid expand shape").
// A zero state is what an LSTM with no initial_h/initial_c computes anyway, so such inputs are
// dropped: exact wherever the original ran, and right at every other batch too. A non-zero
// constant state fixed at a batch above 1 cannot be rebuilt and is refused with the recipe.
import type { GraphProto, NodeProto, TensorProto } from '../onnx/proto.js';
import { tensorFromProto, type Tensor } from '../onnx/tensor.js';
import { ImportError } from './context.js';

/** LSTM inputs 5 (initial_h) and 6 (initial_c). */
const STATE_PORTS = [5, 6] as const;
const PORT_NAMES: Record<number, string> = { 5: 'initial_h', 6: 'initial_c' };

/** What the import does about LSTM initial states fixed at the export batch. */
export interface InitialStatePlan {
  /** Value names an LSTM reads as absent (the default zero state) at its initial_h/initial_c. */
  zeroStates: Set<string>;
  /** Indexes of Expand nodes not rebuilt: they only made those zero states. */
  skipNodes: Set<number>;
  /** One line per rebuilt state, for the import report. */
  notes: string[];
}

function constantTensors(graph: GraphProto): Map<string, TensorProto> {
  const out = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) out.set(t.name ?? '', t);
  for (const n of graph.node ?? []) {
    if (n.opType !== 'Constant') continue;
    const value = (n.attribute ?? []).find((a) => a.name === 'value');
    if (value?.t && n.output?.[0]) out.set(n.output[0], value.t);
  }
  return out;
}

const allZero = (t: Tensor): boolean => Array.prototype.every.call(t.data, (v: number) => v === 0);

function label(n: NodeProto, i: number): string {
  return `node ${i}${n.name ? ` '${n.name}'` : ''} (LSTM)`;
}

/**
 * Find LSTM initial states that are constants (or constants expanded to the runtime shape).
 * Throws ImportError (E_ONNX_IMPORT) for a non-zero constant state fixed at a batch above 1.
 */
export function planInitialStates(graph: GraphProto): InitialStatePlan {
  const nodes = graph.node ?? [];
  const consts = constantTensors(graph);
  const producer = new Map<string, number>();
  const consumers = new Map<string, { node: number; port: number }[]>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o) producer.set(o, i);
    (n.input ?? []).forEach((name, port) => {
      if (!name) return;
      const list = consumers.get(name) ?? [];
      list.push({ node: i, port });
      consumers.set(name, list);
    });
  });
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const plan: InitialStatePlan = { zeroStates: new Set(), skipNodes: new Set(), notes: [] };
  nodes.forEach((n, i) => {
    if (n.opType !== 'LSTM') return;
    for (const port of STATE_PORTS) {
      const name = n.input?.[port];
      if (!name) continue;
      const p = producer.get(name);
      const expand = p !== undefined && nodes[p]!.opType === 'Expand' ? p : null;
      const proto = consts.get(expand !== null ? nodes[expand]!.input?.[0] ?? '' : name);
      if (!proto) continue; // a graph input or a computed state: fed at run time
      const t = tensorFromProto(proto);
      if (t.dims.length !== 3) continue;
      const exportBatch = t.dims[1]!;
      if (!allZero(t)) {
        if (exportBatch > 1) {
          throw new ImportError(
            `${label(n, i)}: its ${PORT_NAMES[port]} is a non-zero constant [${t.dims.join(', ')}] fixed at the export batch ${exportBatch}, so the model runs at that batch only; `
            + 're-export with the initial state as inputs (torch.onnx.export(model, (ids, h0, c0), …, input_names=[…, \'h0\', \'c0\'], dynamic_axes={\'h0\': {1: \'batch\'}, \'c0\': {1: \'batch\'}})) or without one (zeros)',
          );
        }
        continue;
      }
      plan.zeroStates.add(name);
      const onlyStates = (consumers.get(name) ?? []).every((u) => nodes[u.node]!.opType === 'LSTM' && (u.port === 5 || u.port === 6));
      if (expand !== null && onlyStates && !graphOutputs.has(name)) plan.skipNodes.add(expand);
      if (exportBatch !== 1 || expand === null) {
        plan.notes.push(`${label(n, i)}: ${PORT_NAMES[port]} is zeros [${t.dims.join(', ')}] built for the export batch ${exportBatch}; read as the LSTM's default zero state, which fits any batch`);
      }
    }
  });
  return plan;
}
