/**
 * The legacy torch.save layout (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`):
 * five pickles in a row, then the raw storages —
 *
 *   pickle 1  the magic number 0x1950a86a20f9469cfc6c
 *   pickle 2  the protocol version, 1001
 *   pickle 3  sys_info {protocol_version, little_endian, type_sizes}
 *   pickle 4  the object, storages as persistent ids ('storage', type, key, location, numel, view)
 *   pickle 5  the storage keys, in the order their data follows
 *   then per key: numel as a little-endian int64, then numel × element-size bytes
 *
 * All pickles go through the same restricted unpickler as the zip layout; the first three may
 * hold plain values only. Storage sizes are checked against their declarations and the file's
 * length before anything is read, and trailing bytes are refused.
 */
import { PyTuple, pyTypeName, unpickleAt, type UnpickleOptions } from './pickle.js';
import { Budget, Storage, fail, storageTypeOf, torchUnpickleOptions } from './torch-storage.js';
import { DTYPE_SIZE } from './types.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
/** LONG1 of 10 bytes holding the magic number, little-endian: how every protocol pickles it. */
const MAGIC_LONG = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** Pickles before the object may hold plain values only: no globals, no persistent ids. */
const PLAIN: UnpickleOptions = { findGlobal: () => undefined };

/**
 * True when `bytes` start with a legacy torch.save file's pickled magic number: PROTO 2–5, an
 * optional FRAME (protocol 4+), then the magic as LONG1. The whole 12-byte magic is required:
 * a safetensors file whose header is 640 bytes long also starts with 0x80 0x02.
 */
export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== 0x80 || bytes[1]! < 2 || bytes[1]! > 5) return false;
  const at = bytes[2] === 0x95 ? 11 : 2; // FRAME opcode + 8-byte length
  return bytes.length >= at + MAGIC_LONG.length && MAGIC_LONG.every((b, i) => bytes[at + i] === b);
}

/**
 * Decodes a legacy torch.save file into its object, tensors as TorchTensor (see torch-storage.ts).
 * @throws InteropError E_PICKLE (a pickle refused or malformed), E_TORCH (a wrong magic number or
 *   protocol version, a big-endian or unusual sys_info, a storage view, storages missing,
 *   duplicated, of the wrong size, or running past the end of the file, trailing bytes).
 */
export function readLegacyTorchFile(bytes: Uint8Array): unknown {
  const magic = unpickleAt(bytes, 0, PLAIN);
  if (magic.value !== MAGIC) fail(`expected the legacy torch.save magic number 0x${MAGIC.toString(16)} as the first pickle, found ${pyTypeName(magic.value)} ${String(magic.value).slice(0, 40)}`);
  const protocol = unpickleAt(bytes, magic.end, PLAIN);
  if (protocol.value !== PROTOCOL_VERSION) fail(`expected legacy torch.save protocol version ${PROTOCOL_VERSION}, found ${pyTypeName(protocol.value)} ${String(protocol.value).slice(0, 40)}`);
  const sysInfo = unpickleAt(bytes, protocol.end, PLAIN);
  checkSysInfo(sysInfo.value);
  // Storages (and their element counts) are written little-endian whatever the host's order
  // (THPStorage_writeFileRaw converts); sys_info.little_endian describes the writer, not the data.
  const littleEndian = true;

  const budget = new Budget();
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!(pid instanceof PyTuple) || pid.items.length !== 6 || pid.items[0] !== 'storage') {
      fail(`expected a persistent id ('storage', type, key, location, numel, view_metadata), found ${pyTypeName(pid)}${pid instanceof PyTuple ? ` of ${pid.items.length} items` : ''}`);
    }
    const [, rawType, key, , rawNumel, view] = pid.items;
    const { type, numel } = storageTypeOf(rawType, rawNumel);
    if (typeof key !== 'string') fail(`persistent id key must be a str, found ${pyTypeName(key)}`);
    if (view !== null) fail(`storage '${key}' is a view of another storage (written by torch < 0.4); re-save the file with a current torch.save`);
    const cached = storages.get(key);
    if (cached) {
      if (cached.dtype !== type.dtype || cached.numel !== numel) fail(`storage '${key}' is declared twice, as ${cached.numel} ${cached.dtype} and ${numel} ${type.dtype} elements`);
      return cached;
    }
    const s = new Storage(key, type.dtype, numel, null);
    storages.set(key, s);
    return s;
  };
  const object = unpickleAt(bytes, sysInfo.end, torchUnpickleOptions(littleEndian, budget, persistentLoad));
  const keys = unpickleAt(bytes, object.end, PLAIN);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    fail(`expected the list of storage keys after the object, found ${pyTypeName(keys.value)}`);
  }

  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  const written = new Set<string>();
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (!s) fail(`storage key '${key}' is listed but no tensor of the object uses it`);
    if (written.has(key)) fail(`storage '${key}' is listed twice`);
    written.add(key);
    if (pos + 8 > bytes.length) fail(`storage '${key}': its element count at byte ${pos} lies past the end of the ${bytes.length}-byte file (truncated?)`);
    const count = dv.getBigUint64(pos, littleEndian);
    if (count !== BigInt(s!.numel)) fail(`storage '${key}' (${s!.dtype}) was declared with ${s!.numel} elements but its data says ${count}`);
    const n = s!.numel * DTYPE_SIZE[s!.dtype];
    if (pos + 8 + n > bytes.length) fail(`storage '${key}': its ${n} bytes at byte ${pos + 8} run past the end of the ${bytes.length}-byte file (truncated?)`);
    s!.bytes = bytes.subarray(pos + 8, pos + 8 + n);
    budget.storageBytes += n;
    pos += 8 + n;
  }
  const missing = [...storages.keys()].filter((k) => !written.has(k));
  if (missing.length > 0) fail(`storage(s) ${missing.slice(0, 5).map((k) => `'${k}'`).join(', ')} are used by tensors but have no data in the file`);
  if (pos !== bytes.length) fail(`${bytes.length - pos} unexpected bytes after the last storage (at byte ${pos})`);
  return object.value;
}

/** sys_info: a dict with the writer's byte order and C type sizes, which must be the usual ones. */
function checkSysInfo(v: unknown): void {
  if (!(v instanceof Map)) fail(`expected sys_info (a dict) as the third pickle, found ${pyTypeName(v)}`);
  const info = v as Map<unknown, unknown>;
  const little = info.get('little_endian');
  if (typeof little !== 'boolean') fail(`sys_info.little_endian must be a bool, found ${pyTypeName(little)}`);
  const sizes = info.get('type_sizes');
  if (sizes instanceof Map) {
    const want: Record<string, number> = { short: 2, int: 4, long: 8 };
    for (const [k, n] of Object.entries(want)) {
      // Storage data are fixed-width (numel is an int64 whatever `long` is), but a file from an
      // unusual platform is worth a clear refusal rather than misread sizes.
      if (sizes.has(k) && sizes.get(k) !== n && !(k === 'long' && sizes.get(k) === 4)) fail(`sys_info.type_sizes.${k} is ${String(sizes.get(k))}, expected ${n}`);
    }
  }
}
