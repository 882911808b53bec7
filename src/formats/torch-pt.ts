/**
 * PyTorch state dicts saved by `torch.save(model.state_dict(), path)`: a zip holding
 * `<top>/data.pkl` (the pickle), `<top>/data/<key>` (one raw little-endian storage per key),
 * `<top>/version` and, since torch 2.1, `<top>/byteorder`. The pickle is decoded by the
 * restricted unpickler with only the globals a tensor state dict needs.
 */
import { InteropError } from './errors.js';
import { PyTuple, pyTypeName, unpickle, type PyGlobal } from './pickle.js';
import {
  DTYPE_SIZE, type DType, type NamedTensor, allocBytes, numelOf, typedArrayFromBytes,
} from './types.js';
import { readZipEntries } from './zip.js';
import { SAFETENSORS_DTYPES, elementTypeOfSafetensors } from '../dtypes.js';

const CODE = 'E_TORCH';
/**
 * Expanded views (stride 0) may grow past their storage: all of them together, and anything
 * else read beyond the file's own storage bytes, may add at most this many bytes.
 */
export const MAX_EXPANDED_BYTES = 64 * 1024 * 1024;

function fail(message: string): never {
  throw new InteropError(CODE, `torch: ${message}`);
}

/** PyTorch's storage classes ('FloatStorage', …) → the dtype they hold, from the dtype table. */
const STORAGE_DTYPES: Readonly<Record<string, DType>> = Object.fromEntries(
  SAFETENSORS_DTYPES.map((d) => [elementTypeOfSafetensors(d)!.torchStorage!, d]),
);

class StorageType implements PyGlobal {
  readonly module = 'torch';
  constructor(readonly name: string, readonly dtype: DType) {}
}

class Storage {
  /** Views already materialised, by offset/size/stride: a storage is never copied twice for the same view. */
  readonly views = new Map<string, Tensor>();
  constructor(readonly dtype: DType, readonly bytes: Uint8Array, readonly numel: number) {}
}

/**
 * The bytes all tensors of one file may materialise: its storages' bytes plus
 * MAX_EXPANDED_BYTES, so memory stays within the file's size plus a constant whatever the
 * views ask for (a 2 KB file of stride-0 views used to allocate gigabytes).
 */
class Budget {
  used = 0;
  constructor(readonly storageBytes: number) {}
  get limit(): number {
    return this.storageBytes + MAX_EXPANDED_BYTES;
  }
  take(n: number, what: string): void {
    if (this.used + n > this.limit) {
      fail(`${what} would bring the tensors read to ${this.used + n} bytes, over this file's limit of ${this.limit} (its ${this.storageBytes} storage bytes plus ${MAX_EXPANDED_BYTES} for expanded views)`);
    }
    this.used += n;
  }
}

/** What _rebuild_tensor_v2 produces; distinguishable from any other unpickled value. */
class Tensor {
  constructor(readonly value: NamedTensor) {}
}

function isIntTuple(v: unknown): v is PyTuple {
  return v instanceof PyTuple && v.items.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
}

function rebuildTensor(args: readonly unknown[], littleEndian: boolean, budget: Budget): Tensor {
  if (args.length !== 6 && args.length !== 7) {
    fail(`_rebuild_tensor_v2 expects 6 or 7 arguments (storage, offset, size, stride, requires_grad, hooks[, metadata]), found ${args.length}`);
  }
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof Storage)) fail(`_rebuild_tensor_v2: expected a storage, found ${pyTypeName(storage)}`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    fail(`_rebuild_tensor_v2: storage offset must be a non-negative int, found ${pyTypeName(offset)} ${String(offset)}`);
  }
  if (!isIntTuple(size)) fail(`_rebuild_tensor_v2: size must be a tuple of non-negative ints, found ${pyTypeName(size)}`);
  if (!isIntTuple(stride)) fail(`_rebuild_tensor_v2: stride must be a tuple of non-negative ints, found ${pyTypeName(stride)}`);
  const shape = size.items as number[];
  const strides = stride.items as number[];
  if (shape.length !== strides.length) fail(`_rebuild_tensor_v2: size has ${shape.length} dims but stride has ${strides.length}`);
  const { dtype, numel: storageNumel } = storage;
  const esize = DTYPE_SIZE[dtype];
  const numel = numelOf(shape, CODE, 'torch: _rebuild_tensor_v2');
  const what = `${dtype} view (offset ${offset}, size [${shape.join(', ')}], stride [${strides.join(', ')}])`;
  const viewKey = `${offset}|${shape.join(',')}|${strides.join(',')}`;
  const same = storage.views.get(viewKey);
  if (same) return same; // tied weights: one copy, shared (the state dict's tensors are read-only)

  let out: Uint8Array;
  if (numel === 0) {
    out = new Uint8Array(0);
  } else {
    let last = offset;
    for (let k = 0; k < shape.length; k++) last += (shape[k]! - 1) * strides[k]!;
    if (!Number.isSafeInteger(last) || last >= storageNumel) {
      fail(`${what} reaches element ${last} of a ${storageNumel}-element storage`);
    }
    const nbytes = numel * esize;
    if (numel > storageNumel && nbytes > MAX_EXPANDED_BYTES) {
      fail(`${what} expands a ${storageNumel}-element storage to ${numel} elements, over the ${MAX_EXPANDED_BYTES}-byte limit for expanded views`);
    }
    budget.take(nbytes, what);
    out = allocBytes(nbytes, CODE, `torch: ${what}`);
    copyStrided(storage.bytes, out, esize, offset, shape, strides);
  }
  if (dtype === 'BOOL') {
    const bad = out.findIndex((b) => b > 1);
    if (bad >= 0) fail(`BOOL tensor holds byte ${out[bad]} at element ${bad}; expected 0 or 1`);
  }
  const tensor = new Tensor({ dtype, shape: [...shape], data: typedArrayFromBytes(dtype, out, littleEndian) });
  storage.views.set(viewKey, tensor);
  return tensor;
}

/** Gathers a strided view into a contiguous row-major buffer, one innermost row at a time. */
function copyStrided(
  src: Uint8Array, dst: Uint8Array, esize: number, offset: number, shape: number[], strides: number[],
): void {
  const nd = shape.length;
  if (nd === 0) {
    dst.set(src.subarray(offset * esize, (offset + 1) * esize));
    return;
  }
  const inner = shape[nd - 1]!;
  const innerStride = strides[nd - 1]!;
  const rowBytes = inner * esize;
  const idx = new Array<number>(nd - 1).fill(0);
  let base = offset;
  for (let d = 0; d < dst.length; d += rowBytes) {
    if (innerStride === 1) {
      dst.set(src.subarray(base * esize, base * esize + rowBytes), d);
    } else if (innerStride === 0) {
      // A broadcast row: one element, then doubling copies within the row.
      dst.set(src.subarray(base * esize, (base + 1) * esize), d);
      for (let filled = esize; filled < rowBytes; filled *= 2) {
        dst.copyWithin(d + filled, d, d + Math.min(filled, rowBytes - filled));
      }
    } else {
      for (let j = 0; j < inner; j++) {
        const s = (base + j * innerStride) * esize;
        for (let b = 0; b < esize; b++) dst[d + j * esize + b] = src[s + b]!;
      }
    }
    for (let k = nd - 2; k >= 0; k--) {
      idx[k]!++;
      base += strides[k]!;
      if (idx[k]! < shape[k]!) break;
      base -= idx[k]! * strides[k]!;
      idx[k] = 0;
    }
  }
}

const ALLOWED = [
  'collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state', ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
];

function makeGlobals(littleEndian: boolean, budget: Budget): (module: string, name: string) => PyGlobal | undefined {
  const orderedDict: PyGlobal = {
    module: 'collections', name: 'OrderedDict',
    call(args) {
      if (args.length === 0) return new Map();
      fail(`OrderedDict(...) with ${args.length} arguments is not supported (torch passes none)`);
    },
    newObj: () => new Map(),
  };
  const parameter = (nargs: number) => (args: readonly unknown[]): unknown => {
    if (args.length !== nargs || !(args[0] instanceof Tensor)) {
      fail(`_rebuild_parameter expects (tensor, requires_grad, hooks${nargs === 4 ? ', state' : ''}), found ${args.length} arguments starting with ${pyTypeName(args[0])}`);
    }
    return args[0];
  };
  const table: Record<string, PyGlobal> = {
    'collections.OrderedDict': orderedDict,
    'torch._utils._rebuild_tensor_v2': {
      module: 'torch._utils', name: '_rebuild_tensor_v2', call: (args) => rebuildTensor(args, littleEndian, budget),
    },
    'torch._utils._rebuild_parameter': { module: 'torch._utils', name: '_rebuild_parameter', call: parameter(3) },
    'torch._utils._rebuild_parameter_with_state': {
      module: 'torch._utils', name: '_rebuild_parameter_with_state', call: parameter(4),
    },
  };
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) table[`torch.${name}`] = new StorageType(name, dtype);
  return (module, name) => (Object.hasOwn(table, `${module}.${name}`) ? table[`${module}.${name}`] : undefined);
}

/**
 * Reads a zip-format `torch.save` of a state dict into named, contiguous tensors. Keys that
 * view the same bytes (tied weights) share one tensor object: treat the result as read-only.
 * Memory is bounded by the file's storage bytes plus MAX_EXPANDED_BYTES.
 * @throws InteropError E_ZIP (archive), E_PICKLE (pickle), E_TORCH (not a tensor state dict, a
 *   view outside its storage, or views that together exceed the bound).
 */
export function readTorchStateDict(bytes: Uint8Array): Map<string, NamedTensor> {
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, found ${typeof bytes}`);
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) {
    fail('this is a legacy (pre-1.6) non-zip torch.save file; re-save it with a current torch.save');
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    fail(`expected a PyTorch zip archive starting with 'PK', found bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  }
  const entries = readZipEntries(bytes);
  const pkls = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    if ([...entries.keys()].some((n) => n.endsWith('/constants.pkl'))) {
      fail('this is a TorchScript archive (torch.jit.save), not a torch.save state dict');
    }
    const listed = [...entries.keys()].slice(0, 8).join(', ');
    fail(`expected exactly one '<folder>/data.pkl' entry, found ${pkls.length} (entries: ${listed})`);
  }
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  const littleEndian = readByteOrder(entries.get(`${prefix}byteorder`));
  let storageBytes = 0;
  for (const [name, data] of entries) if (name.startsWith(`${prefix}data/`)) storageBytes += data.length;
  const budget = new Budget(storageBytes);

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
      fail(`expected a persistent id ('storage', type, key, location, numel), found ${pyTypeName(pid)}`);
    }
    const [, type, key, , numel] = pid.items;
    if (!(type instanceof StorageType)) fail(`persistent id names storage type ${pyTypeName(type)}`);
    if (typeof key !== 'string') fail(`persistent id key must be a str, found ${pyTypeName(key)}`);
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
      fail(`persistent id numel must be a non-negative int, found ${pyTypeName(numel)}`);
    }
    const id = `${type.name}:${key}`;
    const cached = storages.get(id);
    if (cached) return cached;
    const data = entries.get(`${prefix}data/${key}`);
    if (!data) fail(`storage '${key}' refers to a missing entry '${prefix}data/${key}'`);
    if (data.length !== numel * DTYPE_SIZE[type.dtype]) {
      fail(`storage '${key}' (${type.name}, ${numel} elements) needs ${numel * DTYPE_SIZE[type.dtype]} bytes but the entry holds ${data.length}`);
    }
    const s = new Storage(type.dtype, data, numel);
    storages.set(id, s);
    return s;
  };

  const root = unpickle(entries.get(pkls[0]!)!, {
    findGlobal: makeGlobals(littleEndian, budget),
    allowedGlobals: ALLOWED,
    persistentLoad,
    // OrderedDict.__reduce__ carries the instance __dict__ ({'_metadata': ...}): nothing we need
    build: (obj, state) => {
      if (obj instanceof Map && (state === null || state instanceof Map)) return obj;
      return fail(`cannot set state ${pyTypeName(state)} on ${pyTypeName(obj)}`);
    },
  });

  if (!(root instanceof Map)) fail(`expected the pickle to hold a state dict (dict of tensors), found ${pyTypeName(root)}`);
  const out = new Map<string, NamedTensor>();
  for (const [k, v] of root) {
    if (typeof k !== 'string') fail(`state dict keys must be str, found ${pyTypeName(k)}`);
    if (!(v instanceof Tensor)) {
      const hint = v instanceof Map ? ' (a checkpoint wrapping a state dict? save the inner state dict itself)' : '';
      fail(`state dict entry '${k}' is a ${pyTypeName(v)}, not a tensor${hint}`);
    }
    out.set(k, v.value);
  }
  return out;
}

function readByteOrder(entry: Uint8Array | undefined): boolean {
  if (!entry) return true; // before torch 2.1: native order, little-endian on every supported host
  const s = new TextDecoder().decode(entry).trim();
  if (s === 'little') return true;
  if (s === 'big') return false;
  return fail(`byteorder entry must be 'little' or 'big', found ${JSON.stringify(s.slice(0, 20))}`);
}
