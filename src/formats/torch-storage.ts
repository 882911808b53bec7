/**
 * What a torch.save pickle may name, shared by both file layouts (zip and legacy): storage
 * types, `_rebuild_tensor_v2` views over storages, parameters, OrderedDict, and the plain-data
 * objects checkpoints carry beside the weights (argparse.Namespace hyperparameters). Tensors are
 * validated when unpickled but copied out of their storage only when read (`TorchTensor.value`),
 * so the optimizer state of a checkpoint costs no memory when only the weights are used.
 */
import { InteropError } from './errors.js';
import { NUMPY_GLOBALS, NumpyDType, buildDType } from './numpy-scalar.js';
import { PyTuple, pyTypeName, type PyGlobal, type UnpickleOptions } from './pickle.js';
import {
  DTYPE_SIZE, type DType, type NamedTensor, allocBytes, numelOf, typedArrayFromBytes,
} from './types.js';
import { SAFETENSORS_DTYPES, elementTypeOfSafetensors } from '../dtypes.js';

const CODE = 'E_TORCH';
/**
 * Expanded views (stride 0) may grow past their storage: all of them together, and anything
 * else read beyond the file's own storage bytes, may add at most this many bytes.
 */
export const MAX_EXPANDED_BYTES = 64 * 1024 * 1024;

export function fail(message: string): never {
  throw new InteropError(CODE, `torch: ${message}`);
}

/** PyTorch's storage classes ('FloatStorage', …) → the dtype they hold, from the dtype table. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = Object.fromEntries(
  SAFETENSORS_DTYPES.map((d) => [elementTypeOfSafetensors(d)!.torchStorage!, d]),
);

export class StorageType implements PyGlobal {
  readonly module = 'torch';
  constructor(readonly name: string, readonly dtype: DType) {}
}

/** One storage: `numel` elements of `dtype`; its bytes arrive later in a legacy file (`bytes` null until then). */
export class Storage {
  /** Views already made, by offset/size/stride: a storage is never copied twice for the same view. */
  readonly views = new Map<string, TorchTensor>();
  constructor(readonly key: string, readonly dtype: DType, readonly numel: number, public bytes: Uint8Array | null) {}
}

/**
 * The bytes all tensors of one file may materialise: its storages' bytes plus
 * MAX_EXPANDED_BYTES, so memory stays within the file's size plus a constant whatever the
 * views ask for (a 2 KB file of stride-0 views used to allocate gigabytes).
 */
export class Budget {
  used = 0;
  storageBytes = 0;
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

/**
 * A tensor of the file: dtype and shape known, its data copied out of the storage (contiguous,
 * row-major) on the first read of `value`. Tied weights (the same view under several keys) are
 * one TorchTensor, so one copy: treat the data as read-only.
 * @throws InteropError E_TORCH from `value` when the views read exceed the file's Budget.
 */
export class TorchTensor {
  #value: NamedTensor | null = null;
  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    private readonly view: { storage: Storage; offset: number; strides: number[]; littleEndian: boolean; budget: Budget; what: string },
  ) {}

  get value(): NamedTensor {
    this.#value ??= this.materialise();
    return this.#value;
  }

  private materialise(): NamedTensor {
    const { storage, offset, strides, littleEndian, budget, what } = this.view;
    const shape = [...this.shape];
    const numel = shape.reduce((a, b) => a * b, 1);
    let out: Uint8Array;
    if (numel === 0) {
      out = new Uint8Array(0);
    } else {
      if (!storage.bytes) fail(`storage '${storage.key}' of ${what} has no data in the file`);
      const nbytes = numel * DTYPE_SIZE[this.dtype];
      budget.take(nbytes, what);
      out = allocBytes(nbytes, CODE, `torch: ${what}`);
      copyStrided(storage.bytes, out, DTYPE_SIZE[this.dtype], offset, shape, strides);
    }
    if (this.dtype === 'BOOL') {
      const bad = out.findIndex((b) => b > 1);
      if (bad >= 0) fail(`BOOL tensor holds byte ${out[bad]} at element ${bad}; expected 0 or 1`);
    }
    return { dtype: this.dtype, shape, data: typedArrayFromBytes(this.dtype, out, littleEndian) };
  }
}

/** A plain-data Python object (argparse.Namespace): its class and the attributes BUILD gave it. */
export class PyObject {
  state: Map<unknown, unknown> = new Map();
  constructor(readonly cls: string) {}
}

function isIntTuple(v: unknown): v is PyTuple {
  return v instanceof PyTuple && v.items.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, …)`: checked now, copied when read. */
function rebuildTensor(args: readonly unknown[], littleEndian: boolean, budget: Budget): TorchTensor {
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
  const numel = numelOf(shape, CODE, 'torch: _rebuild_tensor_v2');
  const what = `${dtype} view (offset ${offset}, size [${shape.join(', ')}], stride [${strides.join(', ')}])`;
  const viewKey = `${offset}|${shape.join(',')}|${strides.join(',')}`;
  const same = storage.views.get(viewKey);
  if (same) return same; // tied weights: one copy, shared
  if (numel > 0) {
    let last = offset;
    for (let k = 0; k < shape.length; k++) last += (shape[k]! - 1) * strides[k]!;
    if (!Number.isSafeInteger(last) || last >= storageNumel) {
      fail(`${what} reaches element ${last} of a ${storageNumel}-element storage`);
    }
    if (numel > storageNumel && numel * DTYPE_SIZE[dtype] > MAX_EXPANDED_BYTES) {
      fail(`${what} expands a ${storageNumel}-element storage to ${numel} elements, over the ${MAX_EXPANDED_BYTES}-byte limit for expanded views`);
    }
  }
  const tensor = new TorchTensor(dtype, shape, { storage, offset, strides, littleEndian, budget, what });
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

/** Plain-data classes a checkpoint may hold beside its tensors: instantiated empty, filled by BUILD, never run. */
const DATA_CLASSES = ['argparse.Namespace'];

export const ALLOWED_GLOBALS = [
  'collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state', ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
  ...DATA_CLASSES, ...Object.keys(NUMPY_GLOBALS),
];

/**
 * The unpickler hooks for a torch.save object pickle: the allow-listed globals, BUILD on dicts
 * and plain-data objects, and `persistentLoad` (the storages, which differ by layout).
 */
export function torchUnpickleOptions(littleEndian: boolean, budget: Budget, persistentLoad: (pid: unknown) => Storage): UnpickleOptions {
  const orderedDict: PyGlobal = {
    module: 'collections', name: 'OrderedDict',
    call(args) {
      if (args.length === 0) return new Map();
      fail(`OrderedDict(...) with ${args.length} arguments is not supported (torch passes none)`);
    },
    newObj: () => new Map(),
  };
  const parameter = (nargs: number) => (args: readonly unknown[]): unknown => {
    if (args.length !== nargs || !(args[0] instanceof TorchTensor)) {
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
  Object.assign(table, NUMPY_GLOBALS);
  for (const cls of DATA_CLASSES) {
    const dot = cls.lastIndexOf('.');
    table[cls] = { module: cls.slice(0, dot), name: cls.slice(dot + 1), newObj: () => new PyObject(cls), call: (args) => {
      if (args.length === 0) return new PyObject(cls);
      return fail(`${cls}(...) with ${args.length} positional arguments is not supported`);
    } };
  }
  return {
    findGlobal: (module, name) => (Object.hasOwn(table, `${module}.${name}`) ? table[`${module}.${name}`] : undefined),
    allowedGlobals: ALLOWED_GLOBALS,
    persistentLoad,
    // OrderedDict.__reduce__ carries the instance __dict__ ({'_metadata': ...}): nothing we need.
    // A Namespace's state is its attribute dict.
    build: (obj, state) => {
      if (obj instanceof Map && (state === null || state instanceof Map)) return obj;
      if (obj instanceof NumpyDType) return buildDType(obj, state);
      if (obj instanceof PyObject && state instanceof Map) {
        obj.state = state;
        return obj;
      }
      return fail(`cannot set state ${pyTypeName(state)} on ${pyTypeName(obj)}`);
    },
  };
}

/** Checks a persistent id's storage type and element count; the layouts differ in the rest. */
export function storageTypeOf(type: unknown, numel: unknown): { type: StorageType; numel: number } {
  if (!(type instanceof StorageType)) fail(`persistent id names storage type ${pyTypeName(type)}`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    fail(`persistent id numel must be a non-negative int, found ${pyTypeName(numel)}`);
  }
  return { type: type as StorageType, numel: numel as number };
}
