// Encode/decode ONNX protobuf messages through the generated onnx-proto bindings.
// onnx-proto is CommonJS; the default import gives its `onnx` namespace.
// Public types come from proto-types.generated.ts, never from onnx-proto: its declarations need
// protobufjs 6's global `Long`, which breaks a consumer's strict (skipLibCheck: false) build.
import onnxProto from 'onnx-proto';
import { OnnxFormatError } from './errors.js';
import { assertSelfContained } from './external.js';
import type { ModelProto, TensorProto } from './proto-types.generated.js';

export * from './proto-types.generated.js';

/** onnx-proto's generated codecs; internal (its types are not part of the public API). */
const onnx = onnxProto.onnx;

export interface DecodeOptions {
  /**
   * Accept tensors whose data lives in another file (data_location EXTERNAL). Default false:
   * such a model is refused with ExternalDataError, since onnxruntime would read the named file
   * relative to the working directory. Only code that inlines or inspects the references
   * itself may pass true.
   */
  allowExternalData?: boolean;
}

/**
 * Decode a serialized ModelProto. A truncated or corrupt file becomes an OnnxFormatError
 * (E_ONNX_FORMAT); a model with external data an ExternalDataError (E_EXTERNAL_DATA), unless
 * `allowExternalData`.
 */
export function decodeModel(bytes: Uint8Array, opts: DecodeOptions = {}): ModelProto {
  if (bytes.length === 0) throw new OnnxFormatError('empty file: expected a serialized ONNX ModelProto, found 0 bytes');
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes) as ModelProto;
  } catch (e) {
    // protobufjs decodes nested messages recursively: a file nesting subgraphs (or types)
    // thousands deep exhausts the stack, which is the file's fault, not ours.
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new OnnxFormatError(`not a usable ONNX model: its messages (subgraphs or types) are nested too deeply to decode (${bytes.length} bytes)`);
    }
    throw new OnnxFormatError(`not a valid ONNX model (protobuf decoding failed after reading ${bytes.length} bytes: ${(e as Error).message})`);
  }
  if (!model.graph) throw new OnnxFormatError('not a valid ONNX model: the ModelProto has no graph');
  if (!model.opsetImport || model.opsetImport.length === 0) {
    throw new OnnxFormatError('not a valid ONNX model: no opset_import (is this really an .onnx file?)');
  }
  if (!opts.allowExternalData) assertSelfContained(model);
  return model;
}

/**
 * A plain object as a message. protobufjs's fromObject drops empty byte strings inside repeated
 * bytes fields (a string tensor holding '', a STRINGS attribute with ''), leaving holes that make
 * encode throw; objects that already hold the wire types (what toModel and tensorToProto build)
 * pass verify and are encoded as they are. Others (enum names, base64 strings) still convert.
 */
function asMessage<M>(type: { verify(o: { [k: string]: unknown }): string | null; fromObject(o: { [k: string]: unknown }): M }, obj: object): M {
  const o = obj as Record<string, unknown>;
  return type.verify(o) === null ? (obj as M) : type.fromObject(o);
}

/** protobufjs hands back a Node Buffer, whose slice() is a view; callers get a plain Uint8Array. */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return plain(onnx.ModelProto.encode(asMessage(onnx.ModelProto, model)).finish());
}

export function decodeTensor(bytes: Uint8Array): TensorProto {
  try {
    return onnx.TensorProto.decode(bytes) as TensorProto;
  } catch (e) {
    throw new OnnxFormatError(`not a valid ONNX TensorProto: ${(e as Error).message}`);
  }
}

export function encodeTensor(t: TensorProto): Uint8Array {
  return plain(onnx.TensorProto.encode(asMessage(onnx.TensorProto, t)).finish());
}

/** protobufjs gives int64 fields as Long objects (or numbers); normalise to number. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** A plain-object view of a message, for structural comparisons in tests. */
export function modelToObject(model: ModelProto): Record<string, unknown> {
  return onnx.ModelProto.toObject(asMessage(onnx.ModelProto, model), {
    longs: String,
    bytes: String,
    defaults: false,
  });
}
