/**
 * Whole-model interchange with PyTorch: a twin state_dict → a self-contained classifier .onnx
 * (import-torch), and a classifier .onnx → twin state_dict keys (export-torch).
 */
import { DEFAULT_OPSET } from '../graph/index.js';
import { classifierModel, METADATA_KEYS, readClassifierMetadata } from '../models/classifier.js';
import type { ModelConfig } from '../models/config.js';
import { paramSpecs } from '../models/init.js';
import type { ModelProto } from '../onnx/proto.js';
import { tensorFromProto, type Tensor } from '../onnx/tensor.js';
import { InteropError } from './errors.js';
import { configForWeights, paramsToTorch, torchToParams, type TorchMapOptions } from './torch-map.js';
import type { NamedTensor } from './types.js';

export interface TorchImportOptions extends TorchMapOptions {
  /** Config fields (a config file's contents); the rest is inferred from the weights. */
  config?: Partial<ModelConfig>;
  /** Tokens in id order; stored in the model so it scores raw text. */
  vocab?: string[];
  opset?: number;
}

export interface TorchImport {
  model: ModelProto;
  config: ModelConfig;
  params: Map<string, Tensor>;
}

/** A twin state_dict (from a .pt or .safetensors) → the inference model with weights, config and vocabulary inside. */
export function torchToClassifierModel(tensors: Map<string, NamedTensor>, opts: TorchImportOptions = {}): TorchImport {
  const config = configForWeights(tensors, opts.config ?? {}, opts);
  const params = torchToParams(config, tensors, opts);
  const model = classifierModel(config, { params, opset: opts.opset ?? DEFAULT_OPSET, ...(opts.vocab ? { vocab: opts.vocab } : {}) });
  return { model, config, params };
}

/** The classifier's parameters, read from the model's initializers by name. */
export function classifierParams(model: ModelProto, config: ModelConfig): Map<string, Tensor> {
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const out = new Map<string, Tensor>();
  const missing: string[] = [];
  for (const s of paramSpecs(config)) {
    const proto = inits.get(s.name);
    if (!proto) {
      missing.push(s.name);
      continue;
    }
    const t = tensorFromProto(proto);
    if (t.dtype !== 'float32' || t.dims.join() !== s.dims.join()) {
      throw new InteropError('E_EXPORT', `initializer '${s.name}' is ${t.dtype} [${t.dims.join(', ')}], the config needs float32 [${s.dims.join(', ')}]`);
    }
    out.set(s.name, t);
  }
  if (missing.length > 0) {
    throw new InteropError('E_EXPORT', `the model lacks initializers for ${missing.length} parameter(s) of its config: ${missing.join(', ')}`);
  }
  return out;
}

export interface TorchExport {
  /** Twin state_dict keys, PyTorch layout, F32. */
  tensors: Map<string, NamedTensor>;
  config: ModelConfig;
  /** For the safetensors `__metadata__`: format 'pt', the config and labels (and vocabulary) as JSON. */
  metadata: Record<string, string>;
}

/** A highway-onnx classifier model → weights under the twin's state_dict keys. */
export function classifierToTorch(model: ModelProto): TorchExport {
  const meta = readClassifierMetadata(model);
  const tensors = paramsToTorch(meta.config, classifierParams(model, meta.config));
  const metadata: Record<string, string> = {
    format: 'pt',
    [METADATA_KEYS.config]: JSON.stringify(meta.config),
    [METADATA_KEYS.labels]: JSON.stringify(meta.labels),
  };
  if (meta.vocab) metadata[METADATA_KEYS.vocab] = JSON.stringify(meta.vocab);
  return { tensors, config: meta.config, metadata };
}
