/**
 * ONNX model → builder IR. Nodes are visited in their (topological) order and each is rebuilt
 * with the builder's typed constructor for its op (convert-*.ts), so shapes are checked while
 * importing and the autodiff finds the same ops it knows from our own graphs. Constant nodes
 * become initializers; float initializers become trainable parameters (unless frozen), the
 * others constants. Graph inputs and outputs keep their names, so a model exported again is
 * a drop-in replacement.
 */
import { Graph, MIN_OPSET, op, type Dim, type Value } from '../graph/index.js';
import type { ModelProto, NodeProto, ValueInfoProto } from '../onnx/proto.js';
import { toNumber } from '../onnx/proto.js';
import { tensorFromProto, tensorOf, type Tensor } from '../onnx/tensor.js';
import { Ctx, dtypeOfElem, ImportError } from './context.js';
import { MATH_CONVERTERS, type Converter } from './convert-math.js';
import { GLUE_CONVERTERS } from './convert-glue.js';
import { planInitialStates } from './initial-state.js';

export const CONVERTERS: Readonly<Record<string, Converter>> = { ...MATH_CONVERTERS, ...GLUE_CONVERTERS };

/** Op types the importer rebuilds (Constant included). */
export function supportedOps(): string[] {
  return [...Object.keys(CONVERTERS), 'Constant'].sort();
}

export const MAX_IMPORT_OPSET = 21;

export interface ImportOptions {
  /**
   * Which float initializers stay fixed: names, or a predicate. Default: every float
   * initializer with more than one element is trainable (a scalar is taken for a constant).
   */
  freeze?: readonly string[] | ((name: string, t: Tensor) => boolean);
  /** Only these initializers are trainable (overrides the default rule; freeze still applies). */
  trainable?: readonly string[];
  /** Register the model's outputs on the graph (default true); false leaves them to the caller. */
  registerOutputs?: boolean;
  /** Build into this graph (default: a fresh one), e.g. behind a front end that computes some inputs. */
  graph?: Graph;
  /** Graph inputs given as values of `graph` instead (cast when only the integer or float width differs). */
  bind?: Record<string, Value>;
}

export interface ImportedModel {
  graph: Graph;
  /** The source model (metadata, doc string and opset travel on from it). */
  source: ModelProto;
  opset: number;
  /** Graph inputs by their original names. */
  inputs: Map<string, Value>;
  /** The model's outputs by their original names, in order. */
  outputs: Map<string, Value>;
  /** Trainable parameters (float initializers) by name. */
  params: Map<string, Value>;
  /** Fixed initializers (integer ones, frozen or scalar floats, folded Constant nodes). */
  constants: Map<string, Value>;
  /** Node count per op type in the source. */
  ops: Record<string, number>;
  /** What the import changed to make the model run at any batch (one line each), e.g. LSTM initial states fixed at the export batch. */
  notes: string[];
}

export function modelOpset(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (!entry) throw new ImportError('the model imports no ai.onnx opset');
  return toNumber(entry.version);
}

function shapeOf(info: ValueInfoProto, what: string): { dtype: ReturnType<typeof dtypeOfElem>; shape: Dim[] | null } {
  const tt = info.type?.tensorType;
  if (!tt) throw new ImportError(`${what} '${info.name}' is not a tensor (sequence, map and optional values are not supported)`);
  const dtype = dtypeOfElem(tt.elemType ?? 0, `${what} '${info.name}'`);
  if (!tt.shape) return { dtype, shape: null };
  const shape = (tt.shape.dim ?? []).map((d): Dim => {
    if (d.dimParam) return d.dimParam;
    const v = d.dimValue === undefined || d.dimValue === null ? null : toNumber(d.dimValue);
    return v !== null && v > 0 ? v : '?';
  });
  return { dtype, shape };
}

function nodeLabel(n: NodeProto, index: number): string {
  return `node ${index}${n.name ? ` '${n.name}'` : ''} (${n.opType})`;
}

/** Every node the importer cannot rebuild, named in one error (op, domain, first node). */
function checkSupported(model: ModelProto): void {
  const bad = new Map<string, string[]>();
  (model.graph?.node ?? []).forEach((n, i) => {
    const domain = n.domain ?? '';
    const key = domain && domain !== 'ai.onnx' ? `${domain}::${n.opType}` : n.opType ?? '';
    if ((domain === '' || domain === 'ai.onnx') && (n.opType === 'Constant' || CONVERTERS[n.opType ?? ''])) return;
    const list = bad.get(key) ?? [];
    list.push(nodeLabel(n, i));
    bad.set(key, list);
  });
  if (bad.size === 0) return;
  const lines = [...bad.entries()].map(([k, nodes]) => `${k} (${nodes.length} node${nodes.length > 1 ? 's' : ''}, first: ${nodes[0]})`);
  throw new ImportError(`the model uses ${bad.size} op type(s) outside the supported set:\n  ${lines.join('\n  ')}\nsupported: ${supportedOps().join(', ')}`);
}

function constantValue(c: Ctx): Tensor {
  const entries = Object.entries(c.attrs);
  if (entries.length !== 1) c.fail(`expected exactly one value attribute, found ${entries.map(([k]) => k).join(', ') || 'none'}`);
  const [name, a] = entries[0]!;
  switch (name) {
    case 'value': if (a.type === 'tensor') return a.value; break;
    case 'value_float': if (a.type === 'float') return tensorOf('float32', a.value); break;
    case 'value_floats': if (a.type === 'floats') return tensorOf('float32', a.value); break;
    case 'value_int': if (a.type === 'int') return tensorOf('int64', a.value); break;
    case 'value_ints': if (a.type === 'ints') return tensorOf('int64', a.value); break;
    case 'value_string': if (a.type === 'string') return { dtype: 'string', dims: [], data: [a.value] }; break;
    case 'value_strings': if (a.type === 'strings') return { dtype: 'string', dims: [a.value.length], data: a.value }; break;
    default: break;
  }
  return c.fail(`attribute '${name}' is not supported`);
}

/** Decode `model` into a fresh builder graph. */
export function importOnnx(model: ModelProto, opts: ImportOptions = {}): ImportedModel {
  const src = model.graph;
  if (!src) throw new ImportError('the model has no graph');
  const opset = modelOpset(model);
  if (opset < MIN_OPSET || opset > MAX_IMPORT_OPSET) {
    throw new ImportError(`opset ${opset} is not supported: models at opset ${MIN_OPSET}–${MAX_IMPORT_OPSET} import (torch.onnx.export: opset_version=13…17)`);
  }
  for (const o of model.opsetImport ?? []) {
    const d = o.domain ?? '';
    if (d !== '' && d !== 'ai.onnx' && (src.node ?? []).some((n) => n.domain === d)) {
      throw new ImportError(`nodes of domain '${d}' are not supported (only the standard ai.onnx ops)`);
    }
  }
  checkSupported(model);

  const g = opts.graph ?? new Graph({ name: src.name || 'imported', docString: src.docString ?? '' });
  const values = new Map<string, Value>();
  const inputs = new Map<string, Value>();
  const params = new Map<string, Value>();
  const constants = new Map<string, Value>();
  const initNames = new Set((src.initializer ?? []).map((t) => t.name ?? ''));

  for (const info of src.input ?? []) {
    const name = info.name ?? '';
    if (initNames.has(name)) continue; // an initializer listed as input (IR < 4 style): its value is used
    const { dtype, shape } = shapeOf(info, 'graph input');
    const bound = opts.bind?.[name];
    if (bound) {
      const castable = (a: string, b: string): boolean => (a.startsWith('int') && b.startsWith('int')) || (a.startsWith('float') && b.startsWith('float'));
      if (bound.dtype !== dtype && !castable(bound.dtype, dtype)) throw new ImportError(`input '${name}' is ${dtype}; the value bound to it is ${bound.dtype}`);
      const v = bound.dtype === dtype ? bound : op.cast(bound, dtype);
      values.set(name, v);
      inputs.set(name, v);
      continue;
    }
    const v = g.input(name, dtype, shape);
    values.set(name, v);
    inputs.set(name, v);
  }

  const frozen = (name: string, t: Tensor): boolean => {
    if (typeof opts.freeze === 'function') return opts.freeze(name, t);
    return opts.freeze?.includes(name) ?? false;
  };
  for (const proto of src.initializer ?? []) {
    const name = proto.name ?? '';
    if (values.has(name)) throw new ImportError(`initializer '${name}' is defined twice`);
    const t = tensorFromProto(proto);
    const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
    const trainable = isFloat && !frozen(name, t) && (opts.trainable ? opts.trainable.includes(name) : t.data.length > 1);
    const v = trainable ? g.param(name, t) : g.constant(t, name);
    // A parameter keeps its name (fine-tuning and export address it by name); a constant
    // renamed to avoid a value of the host graph (see `graph`) changes nothing.
    if (trainable && v.name !== name) throw new ImportError(`parameter '${name}' clashes with another value of the graph`);
    (trainable ? params : constants).set(name, v);
    values.set(name, v);
  }
  for (const name of Object.keys(opts.bind ?? {})) {
    if (!inputs.has(name)) throw new ImportError(`cannot bind '${name}': the model has no such input (inputs: ${(src.input ?? []).map((i) => i.name).join(', ')})`);
  }
  for (const name of opts.trainable ?? []) {
    if (!params.has(name)) throw new ImportError(`'${name}' was asked to be trainable but is not a float initializer of the model`);
  }

  const states = planInitialStates(src);
  const ops: Record<string, number> = {};
  (src.node ?? []).forEach((n, index) => {
    const opType = n.opType ?? '';
    ops[opType] = (ops[opType] ?? 0) + 1;
    if (states.skipNodes.has(index)) return; // an Expand that only made a zero LSTM state (initial-state.ts)
    const label = nodeLabel(n, index);
    const ins = (n.input ?? []).map((name, port) => {
      if (name === '') return null;
      if (opType === 'LSTM' && port >= 5 && states.zeroStates.has(name)) return null;
      const v = values.get(name);
      if (!v) throw new ImportError(`${label}: input '${name}' is not defined before use (the graph must be topologically sorted)`);
      return v;
    });
    const ctx = new Ctx(g, n, label, ins, opset);
    let outs: (Value | null)[];
    try {
      if (opType === 'Constant') {
        const v = g.constant(constantValue(ctx), n.output?.[0] ?? 'const');
        constants.set(v.name, v);
        outs = [v];
      } else {
        outs = CONVERTERS[opType]!(ctx);
      }
    } catch (e) {
      if (e instanceof ImportError) throw e;
      throw new ImportError(`${label}: ${(e as Error).message}`);
    }
    (n.output ?? []).forEach((name, i) => {
      if (name === '') return;
      const v = outs[i];
      if (!v) throw new ImportError(`${label}: output ${i} ('${name}') is not produced by the import`);
      if (values.has(name)) throw new ImportError(`${label}: value '${name}' is defined twice`);
      values.set(name, v);
    });
  });

  const outputs = new Map<string, Value>();
  for (const info of src.output ?? []) {
    const name = info.name ?? '';
    const v = values.get(name);
    if (!v) throw new ImportError(`graph output '${name}' is never produced`);
    const declared = info.type?.tensorType?.elemType;
    if (declared && dtypeOfElem(declared, `graph output '${name}'`) !== v.dtype) {
      throw new ImportError(`graph output '${name}' is declared ${dtypeOfElem(declared, name)} but computes ${v.dtype}`);
    }
    outputs.set(name, v);
  }
  if (opts.registerOutputs ?? true) for (const [name, v] of outputs) g.output(v, name);
  return { graph: g, source: model, opset, inputs, outputs, params, constants, ops, notes: states.notes };
}

