/**
 * Files written by `torch.save`: the zip layout (PyTorch ≥ 1.6: `<top>/data.pkl` holds the
 * pickle, `<top>/data/<key>` one raw little-endian storage per key, `<top>/version` and, since
 * torch 2.1, `<top>/byteorder`) and the legacy layout (torch-legacy.ts). The pickle is decoded by
 * the restricted unpickler with only the globals a checkpoint of tensors needs; the state dict
 * is then found inside it (torch-checkpoint.ts).
 */
import { PyTuple, pyTypeName, unpickle } from './pickle.js';
import { chooseStateDict, type StateDictChoice, type StateDictOptions } from './torch-checkpoint.js';
import { isLegacyTorchFile, readLegacyTorchFile } from './torch-legacy.js';
import { Budget, Storage, fail, storageTypeOf, torchUnpickleOptions } from './torch-storage.js';
import { DTYPE_SIZE } from './types.js';
import { readZipEntries, type ZipLimits } from './zip.js';

export { MAX_EXPANDED_BYTES } from './torch-storage.js';

/** A decoded torch.save file: its layout and the pickled object, tensors as TorchTensor. */
export interface TorchFile {
  layout: 'zip' | 'legacy';
  root: unknown;
}

/**
 * Decodes a torch.save file of either layout, told apart by its first bytes. Tensors are
 * checked against their storages here and copied out only when read; memory is bounded by the
 * file's storage bytes plus MAX_EXPANDED_BYTES, and DEFLATE entries by `limits`.
 * @throws InteropError E_ZIP (archive), E_PICKLE (pickle, refused globals), E_TORCH (not a
 *   torch.save file, a TorchScript archive, storages that do not match their declarations).
 */
export function readTorchFile(bytes: Uint8Array, limits: ZipLimits = {}): TorchFile {
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, found ${typeof bytes}`);
  if (isLegacyTorchFile(bytes)) return { layout: 'legacy', root: readLegacyTorchFile(bytes) };
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    fail(`expected a PyTorch zip archive starting with 'PK' or a legacy torch.save file (a pickled magic number), found bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  }
  const entries = readZipEntries(bytes, limits);
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
  const budget = new Budget();
  for (const [name, data] of entries) if (name.startsWith(`${prefix}data/`)) budget.storageBytes += data.length;

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
      fail(`expected a persistent id ('storage', type, key, location, numel), found ${pyTypeName(pid)}`);
    }
    const [, rawType, key, , rawNumel] = pid.items;
    const { type, numel } = storageTypeOf(rawType, rawNumel);
    if (typeof key !== 'string') fail(`persistent id key must be a str, found ${pyTypeName(key)}`);
    const id = `${type.name}:${key}`;
    const cached = storages.get(id);
    if (cached) return cached;
    const data = entries.get(`${prefix}data/${key}`);
    if (!data) fail(`storage '${key}' refers to a missing entry '${prefix}data/${key}'`);
    if (data.length !== numel * DTYPE_SIZE[type.dtype]) {
      fail(`storage '${key}' (${type.name}, ${numel} elements) needs ${numel * DTYPE_SIZE[type.dtype]} bytes but the entry holds ${data.length}`);
    }
    const s = new Storage(key, type.dtype, numel, data);
    storages.set(id, s);
    return s;
  };
  return { layout: 'zip', root: unpickle(entries.get(pkls[0]!)!, torchUnpickleOptions(littleEndian, budget, persistentLoad)) };
}

/**
 * Reads a torch.save file (zip or legacy layout) into its state dict: named, contiguous
 * tensors. A checkpoint that wraps the state dict ({epoch, state_dict, optimizer, …}) is
 * searched (see chooseStateDict; `opts.key` picks one). Keys that view the same bytes (tied
 * weights) share one tensor object: treat the result as read-only.
 * @throws InteropError E_ZIP, E_PICKLE, E_TORCH (see readTorchFile; also a dict mixing tensors
 *   and other values), E_TORCH_KEY (no state dict inside, several, or `key` names none).
 */
export function readTorchStateDict(bytes: Uint8Array, opts: StateDictOptions & ZipLimits = {}): StateDictChoice['tensors'] {
  return readTorchCheckpoint(bytes, opts).tensors;
}

/** As readTorchStateDict, also saying which key of the checkpoint held the state dict and the file's layout. */
export function readTorchCheckpoint(bytes: Uint8Array, opts: StateDictOptions & ZipLimits = {}): StateDictChoice & { layout: TorchFile['layout']; root: unknown } {
  const file = readTorchFile(bytes, opts);
  return { ...chooseStateDict(file.root, opts), layout: file.layout, root: file.root };
}

function readByteOrder(entry: Uint8Array | undefined): boolean {
  if (!entry) return true; // before torch 2.1: native order, little-endian on every supported host
  const s = new TextDecoder().decode(entry).trim();
  if (s === 'little') return true;
  if (s === 'big') return false;
  return fail(`byteorder entry must be 'little' or 'big', found ${JSON.stringify(s.slice(0, 20))}`);
}
