// Scan with its body written as a callback over the body's own Values.
import { attr, Graph, type Dim, type Value } from '../ir.js';
import { GraphBuildError } from '../errors.js';
import { fmt, UNKNOWN } from '../shape.js';
import { addOp } from './util.js';

export interface ScanSpec {
  /** Loop-carried state, initial values. */
  initialStates: Value[];
  /** Sequences sliced along axis 0, one slice per iteration. */
  scanInputs: Value[];
  /** Body: receives the current states and this step's slices, returns new states and per-step outputs. */
  body: (states: Value[], slices: Value[], body: Graph) => { states: Value[]; outputs: Value[] };
  /** 1 = iterate that scan input from the end (per scan input). */
  scanInputDirections?: number[];
  /** 1 = write that scan output from the end (per scan output). */
  scanOutputDirections?: number[];
  name?: string;
}

/** Returns the final states and the stacked per-step outputs ([N, ...]). */
export function scan(spec: ScanSpec): { states: Value[]; outputs: Value[] } {
  const outer = [...spec.initialStates, ...spec.scanInputs];
  if (spec.scanInputs.length === 0) throw new GraphBuildError('Scan: needs at least one scan input');
  const parent = outer.reduce((g, v) => (g.isAncestorOf(v.graph) ? v.graph : g), outer[0]!.graph);
  const opName = spec.name ?? 'Scan';
  const body = new Graph({ name: parent.uniqueName(`${opName}.body`) }, parent);
  const stateIns = spec.initialStates.map((s, i) => body.input(`${opName}.state${i}`, s.dtype, s.shape, { unique: true }));
  const sliceIns = spec.scanInputs.map((s, i) => body.input(`${opName}.x${i}`, s.dtype, s.shape ? s.shape.slice(1) : null, { unique: true }));
  const result = body.scope(`${opName}.body`, () => spec.body(stateIns, sliceIns, body));
  if (result.states.length !== spec.initialStates.length) {
    throw new GraphBuildError(`Scan '${opName}': body returned ${result.states.length} states, expected ${spec.initialStates.length}`);
  }
  result.states.forEach((s, i) => {
    const init = spec.initialStates[i]!;
    if (s.dtype !== init.dtype) throw new GraphBuildError(`Scan '${opName}': state ${i} changes dtype ${init.dtype} -> ${s.dtype}`);
    if (s.shape && init.shape && s.shape.length !== init.shape.length) {
      throw new GraphBuildError(`Scan '${opName}': state ${i} changes shape ${fmt(init.shape)} -> ${fmt(s.shape)}`);
    }
  });
  for (const v of [...result.states, ...result.outputs]) body.output(v);
  const n: Dim = spec.scanInputs[0]!.shape?.[0] ?? UNKNOWN;
  const attrs = {
    body: attr.graph(body),
    num_scan_inputs: attr.int(spec.scanInputs.length),
    ...(spec.scanInputDirections ? { scan_input_directions: attr.ints(spec.scanInputDirections) } : {}),
    ...(spec.scanOutputDirections ? { scan_output_directions: attr.ints(spec.scanOutputDirections) } : {}),
  };
  const outs = addOp('Scan', outer, attrs, [
    ...spec.initialStates.map((s) => ({ dtype: s.dtype, shape: s.shape })),
    ...result.outputs.map((y) => ({ dtype: y.dtype, shape: y.shape ? [n, ...y.shape] : null })),
  ], { graph: parent });
  return { states: outs.slice(0, spec.initialStates.length), outputs: outs.slice(spec.initialStates.length) };
}
