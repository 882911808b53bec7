/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 header
 * length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__": {str: str}}`, then the data buffer, which the tensors must cover exactly.
 * The reader validates all of it and copies each tensor into its own aligned typed array.
 */
import { InteropError } from './errors.js';
import { jsonDepth } from './json-depth.js';

export { jsonDepth } from './json-depth.js';
import {
  DTYPE_SIZE, DTYPES, type DType, type NamedTensor, allocBytes, arrayClassName, arrayMatchesDType,
  isDType, littleEndianBytes, numelOf, typedArrayFromBytes,
} from './types.js';

export { type DType, type NamedTensor, type TensorData, bf16ToF32, f16ToF32 } from './types.js';

const CODE = 'E_SAFETENSORS';
/** The reference implementation's limit on the header (MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
/**
 * A header is an object of tensor objects holding a shape array: depth 3. JSON nested
 * deeper than this bound is refused before it is parsed, since walking it (describing it in an error message, for one)
 * would recurse once per level and a 10^6-deep header would overflow the stack.
 */
export const MAX_HEADER_DEPTH = 8;


export interface SafetensorsContents {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

function fail(message: string): never {
  throw new InteropError(CODE, `safetensors: ${message}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array ${JSON.stringify(v).slice(0, 60)}`;
  if (typeof v === 'object') return 'object';
  if (typeof v === 'string') return `string ${JSON.stringify(v.slice(0, 60))}`;
  return `${typeof v} ${String(v)}`;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

interface Entry { name: string; dtype: DType; shape: number[]; begin: number; end: number }

export function readSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, found ${describe(bytes)}`);
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes long, shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (file is ${bytes.length} bytes)`);
  }
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    fail(`header length ${headerLen} runs past the end of the file (${bytes.length - 8} bytes after the length)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    fail(`header (${headerLen} bytes) is not valid UTF-8`);
  }
  const depth = jsonDepth(text);
  if (depth > MAX_HEADER_DEPTH) {
    fail(`header nests arrays/objects ${depth} deep, over the limit of ${MAX_HEADER_DEPTH} (a valid header needs 3: {name: {shape: [...]}})`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message}); it starts ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(`header must be a JSON object, found ${describe(header)}`);
  }

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      metadata = readMetadata(info);
      continue;
    }
    entries.push(readEntry(name, info));
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  checkCoverage(entries, dataLen);

  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) {
    const copy = allocBytes(e.end - e.begin, CODE, `safetensors: tensor '${e.name}'`);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    if (e.dtype === 'BOOL') {
      const bad = copy.findIndex((b) => b > 1);
      if (bad >= 0) fail(`tensor '${e.name}' (BOOL) holds byte ${copy[bad]} at element ${bad}; expected 0 or 1`);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: typedArrayFromBytes(e.dtype, copy, true) });
  }
  return { tensors, metadata };
}

function readMetadata(info: unknown): Record<string, string> {
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    fail(`"${METADATA_KEY}" must be an object of strings, found ${describe(info)}`);
  }
  const pairs = Object.entries(info as Record<string, unknown>);
  for (const [k, v] of pairs) {
    if (typeof v !== 'string') fail(`metadata value for key ${JSON.stringify(k)} must be a string, found ${describe(v)}`);
  }
  return Object.fromEntries(pairs) as Record<string, string>;
}

function readEntry(name: string, info: unknown): Entry {
  const what = `tensor '${name}'`;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    fail(`${what}: expected {dtype, shape, data_offsets}, found ${describe(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isDType(dtype)) {
    fail(`${what}: unsupported dtype ${describe(dtype)}; supported: ${DTYPES.join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
    fail(`${what}: shape must be an array of non-negative integers, found ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
    fail(`${what}: data_offsets must be [begin, end] non-negative integers, found ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${what}: data_offsets begin ${begin} > end ${end}`);
  const numel = numelOf(shape, CODE, `safetensors: ${what}`);
  const expected = numel * DTYPE_SIZE[dtype];
  if (!Number.isSafeInteger(expected) || expected !== end - begin) {
    fail(`${what}: ${dtype} [${shape.join(', ')}] needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype, shape: [...shape], begin, end };
}

/** The spec requires the tensors to tile the data buffer: no overlap, no hole, nothing left over. */
function checkCoverage(entries: Entry[], dataLen: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev = '(start of data)';
  for (const e of sorted) {
    if (e.end > dataLen) {
      fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] run past the end of the ${dataLen}-byte data buffer`);
    }
    if (e.begin < pos) fail(`tensor '${e.name}' (bytes ${e.begin}..${e.end}) overlaps ${prev} (ends at ${pos})`);
    if (e.begin > pos) fail(`bytes ${pos}..${e.begin} of the data buffer belong to no tensor (hole after ${prev})`);
    pos = e.end;
    prev = `tensor '${e.name}'`;
  }
  if (pos !== dataLen) fail(`data buffer is ${dataLen} bytes but the tensors cover only ${pos} (trailing bytes after ${prev})`);
}

export function writeSafetensors(
  tensors: Iterable<[string, NamedTensor]> | Map<string, NamedTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = [...tensors];
  const names = new Set<string>();
  for (const [name, t] of list) {
    if (typeof name !== 'string') fail(`tensor names must be strings, found ${describe(name)}`);
    if (name === METADATA_KEY) fail(`a tensor may not be named "${METADATA_KEY}"`);
    if (names.has(name)) fail(`tensor '${name}' given twice`);
    names.add(name);
    validateTensor(name, t);
  }
  list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of list) {
    const size = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`metadata value for key ${JSON.stringify(k)} must be a string, found ${describe(v)}`);
    }
    // defineProperty keeps a key such as "__proto__" an ordinary entry
    Object.defineProperty(header, METADATA_KEY, { value: { ...metadata }, enumerable: true });
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > MAX_HEADER_BYTES) fail(`header would be ${padded} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);

  const out = allocBytes(8 + padded + offset, CODE, 'safetensors: output');
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const [, t] of list) {
    out.set(littleEndianBytes(t.data, DTYPE_SIZE[t.dtype]), pos);
    pos += t.data.byteLength;
  }
  return out;
}

function validateTensor(name: string, t: NamedTensor): void {
  const what = `tensor '${name}'`;
  if (t === null || typeof t !== 'object') fail(`${what}: expected {dtype, shape, data}, found ${describe(t)}`);
  if (!isDType(t.dtype)) fail(`${what}: unsupported dtype ${describe(t.dtype)}; supported: ${DTYPES.join(', ')}`);
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegInt)) {
    fail(`${what}: shape must be an array of non-negative integers, found ${describe(t.shape)}`);
  }
  if (!arrayMatchesDType(t.dtype, t.data)) {
    fail(`${what}: dtype ${t.dtype} needs a ${arrayClassName(t.dtype)}, found ${(t.data as object)?.constructor?.name ?? describe(t.data)}`);
  }
  const numel = numelOf(t.shape, CODE, `safetensors: ${what}`);
  if (t.data.length !== numel) {
    fail(`${what}: shape [${t.shape.join(', ')}] has ${numel} elements but data has ${t.data.length}`);
  }
  if (t.dtype === 'BOOL') {
    const bad = (t.data as Uint8Array).findIndex((b) => b > 1);
    if (bad >= 0) fail(`${what} (BOOL) holds ${t.data[bad]} at element ${bad}; expected 0 or 1`);
  }
}
