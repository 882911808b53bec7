// What is inside an .onnx file: format versions, inputs/outputs, operators, parameters by
// layer, the highway-onnx metadata (config, labels, vocabulary) and weight health.
import { decodeModel, toNumber, type ModelProto, type ValueInfoProto } from '../onnx/proto.js';
import { checkModel } from '../onnx/checker.js';
import { readMetadata } from '../onnx/metadata.js';
import { METADATA_KEYS, readClassifierMetadata } from '../models/classifier-metadata.js';
import type { ModelConfig } from '../models/config.js';
import { nonFiniteInitializers } from '../runtime/validate.js';
import { verifyClassifierGraph } from '../models/verify-graph.js';
import { DIGEST_KEY, verifyDigest } from '../onnx/digest.js';
import { elementTypeOfOnnx } from '../dtypes.js';

export interface ValueReport {
  name: string;
  type: string;
  shape: (number | string)[] | null;
}

export interface LayerReport {
  name: string;
  tensors: { name: string; type: string; dims: number[]; elements: number }[];
  parameters: number;
}

export interface ClassifierReport {
  config: ModelConfig;
  labels: string[];
  vocabSize: number | null;
  /** The first ordinary tokens (after <pad> and <unk>). */
  vocabSample: string[];
  /** Where untrained weights come from (a model fresh from build-graph); null for a trained model. */
  untrained: string | null;
}

export interface OnnxReport {
  kind: 'onnx';
  file: string | null;
  bytes: number;
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string | null;
  graphName: string;
  doc: string | null;
  inputs: ValueReport[];
  outputs: ValueReport[];
  nodes: number;
  ops: Record<string, number>;
  layers: LayerReport[];
  /** Elements of all initializers outside the 'constants' group. */
  parameters: number;
  initializers: number;
  nonFinite: { name: string; nan: number; inf: number }[];
  /** metadata_props other than the classifier's own keys (long values shortened). */
  metadata: Record<string, string>;
  classifier: ClassifierReport | null;
  /** Why the classifier metadata could not be read, when it is present but broken. */
  classifierError: string | null;
  /** Whether the graph was checked against its config (see verifyClassifierGraph). */
  graphCheck: { state: 'verified' | 'mismatch' | 'unverified'; detail: string };
  /** The stored content digest: matches, does not, or there is none (imported or older models). */
  digest: { state: 'verified' | 'mismatch' | 'absent' | 'not read'; detail: string };
  /**
   * Present when tensors keep their data in other files: how many, which files, and whether
   * they were read (`inspect --external-data model-folder`). Unread, the weight health and the
   * digest are not checked: `nonFinite` is then empty because nothing was looked at.
   */
  externalData?: { read: boolean; tensors: number; files: string[] };
  problems: string[];
}

/** The first line of an error's message, with its code. */
function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  return `${code ? `[${code}] ` : ''}${(e as Error).message.split('\n')[0]}`;
}

/** onnxruntime's name of ONNX element type `t` ('float32', …), or 'type N' for numbers outside the table. */
export const elemName = (t: number | null | undefined): string => elementTypeOfOnnx(t)?.name ?? `type ${t}`;

function valueReport(v: ValueInfoProto): ValueReport {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim;
  return {
    name: v.name ?? '',
    type: tt ? elemName(tt.elemType) : v.type?.sequenceType ? 'sequence' : 'unknown',
    shape: dims ? dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : '?')) : null,
  };
}

/** 'layer3.bilstm.W' → 'layer3'; generated constants ('const.float32.4') go to '(constants)'. */
function groupOf(name: string): string {
  if (/^const[._]/.test(name) || name === '') return '(constants)';
  const i = name.indexOf('.');
  return i > 0 ? name.slice(0, i) : name;
}

function shorten(s: string, max = 120): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}

export function inspectOnnxBytes(bytes: Uint8Array, file: string | null = null): OnnxReport {
  return inspectOnnxModel(decodeModel(bytes), bytes.length, file);
}

export function inspectOnnxModel(model: ModelProto, bytes: number, file: string | null = null): OnnxReport {
  const g = model.graph!;
  const initNames = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const ops: Record<string, number> = {};
  const countOps = (nodes: typeof g.node): number => {
    let n = 0;
    for (const node of nodes ?? []) {
      n++;
      const key = node.domain ? `${node.domain}.${node.opType}` : node.opType ?? '?';
      ops[key] = (ops[key] ?? 0) + 1;
    }
    return n;
  };
  const nodes = countOps(g.node);

  const layers = new Map<string, LayerReport>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    const dims = (t.dims ?? []).map((d) => toNumber(d));
    const elements = dims.reduce((a, b) => a * b, 1);
    const key = groupOf(name);
    let layer = layers.get(key);
    if (!layer) layers.set(key, (layer = { name: key, tensors: [], parameters: 0 }));
    layer.tensors.push({ name, type: elemName(t.dataType), dims, elements });
    layer.parameters += elements;
  }
  const layerList = [...layers.values()].sort((a, b) => (a.name === '(constants)' ? 1 : 0) - (b.name === '(constants)' ? 1 : 0));

  const md = readMetadata(model);
  const own = new Set<string>([...Object.values(METADATA_KEYS), DIGEST_KEY]);
  const metadata = Object.fromEntries(Object.entries(md).filter(([k]) => !own.has(k)).map(([k, v]) => [k, shorten(v)]));
  let classifier: ClassifierReport | null = null;
  let classifierError: string | null = null;
  if (md[METADATA_KEYS.format] !== undefined || md[METADATA_KEYS.config] !== undefined) {
    try {
      const meta = readClassifierMetadata(model);
      classifier = { config: meta.config, labels: meta.labels, vocabSize: meta.vocab ? meta.vocab.length : null, vocabSample: meta.vocab ? meta.vocab.slice(2, 12) : [], untrained: meta.untrained };
    } catch (e) {
      classifierError = (e as Error).message;
    }
  }

  let graphCheck: OnnxReport['graphCheck'] = { state: 'unverified', detail: 'no highway-onnx config to check the graph against (an imported or foreign model): what it computes is unverified' };
  if (classifier) {
    try {
      const v = verifyClassifierGraph(model, classifier.config);
      graphCheck = { state: 'verified', detail: `matches its config: ${v.lstms} bidirectional LSTM node(s) with hidden size ${classifier.config.hidden}, ${v.parameters} parameters with the config's names and shapes` };
    } catch (e) {
      graphCheck = { state: 'mismatch', detail: reason(e) };
    }
  } else if (classifierError) graphCheck = { state: 'unverified', detail: 'the config is unreadable, so the graph is unverified' };
  let digest: OnnxReport['digest'];
  try {
    const d = verifyDigest(model);
    digest = d.state === 'verified'
      ? { state: 'verified', detail: `${d.digest.slice(0, 23)}… matches the content` }
      : { state: 'absent', detail: 'no digest (an imported model, or one written before digests): damage to the weights cannot be detected' };
  } catch (e) {
    digest = { state: 'mismatch', detail: reason(e) };
  }

  return {
    kind: 'onnx',
    file,
    bytes,
    irVersion: toNumber(model.irVersion),
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: toNumber(o.version) })),
    producer: model.producerName ? `${model.producerName}${model.producerVersion ? ` ${model.producerVersion}` : ''}` : null,
    graphName: g.name ?? '',
    doc: model.docString || g.docString || null,
    inputs: (g.input ?? []).filter((v) => !initNames.has(v.name ?? '')).map(valueReport),
    outputs: (g.output ?? []).map(valueReport),
    nodes,
    ops,
    layers: layerList,
    parameters: layerList.filter((l) => l.name !== '(constants)').reduce((a, l) => a + l.parameters, 0),
    initializers: initNames.size,
    nonFinite: nonFiniteInitializers(model).map(({ name, nan, inf }) => ({ name, nan, inf })),
    metadata,
    classifier,
    classifierError,
    graphCheck,
    digest,
    problems: checkModel(model),
  };
}
