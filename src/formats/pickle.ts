/**
 * A restricted unpickler: it decodes the opcodes PyTorch's torch.save emits (protocol 2, plus
 * a few harmless protocol 3/4 ones) into plain JS values and never executes anything. Every
 * GLOBAL goes through `findGlobal`; a name it does not know is refused with an InteropError
 * naming it, so a pickle that reaches for `os.system` stops at that opcode.
 *
 * Python values become: None → null, bool → boolean, int → number (bigint beyond 2^53),
 * float → number, str → string, bytes → Uint8Array, list → Array, tuple → PyTuple,
 * dict → Map, set/frozenset → Set, allowed globals → the PyGlobal `findGlobal` returned.
 */
import { InteropError } from './errors.js';

const CODE = 'E_PICKLE';

export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A global the caller allows: `call` runs for REDUCE, `newObj` for NEWOBJ (cls.__new__). */
export interface PyGlobal {
  readonly module: string;
  readonly name: string;
  call?(args: readonly unknown[]): unknown;
  newObj?(args: readonly unknown[]): unknown;
}

export interface UnpickleOptions {
  /** Resolve `module.name`; undefined refuses it. */
  findGlobal(module: string, name: string): PyGlobal | undefined;
  /** Names listed in the refusal message. */
  allowedGlobals?: readonly string[];
  /** BINPERSID: turn a persistent id into a value. Absent → persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
  /** BUILD (obj.__setstate__(state)): return the object to leave on the stack. Absent → refused. */
  build?(obj: unknown, state: unknown): unknown;
}

/** A short description of a decoded value, for error messages. */
export function pyTypeName(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (isPyGlobal(v)) return `global ${v.module}.${v.name}`;
  return (v as object)?.constructor?.name ?? typeof v;
}

function isPyGlobal(v: unknown): v is PyGlobal {
  return typeof v === 'object' && v !== null && typeof (v as PyGlobal).module === 'string'
    && typeof (v as PyGlobal).name === 'string' && !(v instanceof Map);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes the one pickle in `bytes` (bytes after its STOP are ignored).
 * @throws InteropError E_PICKLE naming the opcode and byte offset: a refused global, an opcode
 *   outside the supported set, truncation, or a malformed stack.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return unpickleAt(bytes, 0, options).value;
}

/**
 * Decodes the pickle that starts at byte `start` of `bytes` and says where it ended (the byte
 * after its STOP): files that hold several pickles in a row (legacy torch.save) are read one
 * after another. Errors as `unpickle`, with offsets counted from the start of `bytes`.
 */
export function unpickleAt(bytes: Uint8Array, start: number, options: UnpickleOptions): { value: unknown; end: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;
  let opPos = 0;
  let opName = '';

  const fail = (message: string): never => {
    throw new InteropError(CODE, `pickle: ${message} (opcode ${opName} at byte ${opPos})`);
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail(`needs ${n} more bytes but only ${bytes.length - pos} remain`);
    const p = pos;
    pos += n;
    return p;
  };
  const pop = (): unknown => {
    const floor = marks.length ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    const floor = marks.length ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    if (!marks.length) fail('no MARK on the stack');
    const m = marks.pop()!;
    return stack.splice(m);
  };
  const str = (n: number): string => {
    const p = need(n);
    try {
      return utf8.decode(bytes.subarray(p, p + n));
    } catch {
      return fail(`string of ${n} bytes is not valid UTF-8`);
    }
  };
  const int = (v: bigint): number | bigint => (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v);
  const long = (n: number): number | bigint => {
    const p = need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]!);
    if (n > 0 && bytes[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return int(v);
  };
  const hashable = (k: unknown): unknown => {
    if (Array.isArray(k) || k instanceof Map || k instanceof Set) fail(`unhashable dict key of type ${pyTypeName(k)}`);
    return k;
  };
  const setItems = (d: unknown, items: unknown[]): void => {
    if (!(d instanceof Map)) fail(`SETITEM target must be a dict, found ${pyTypeName(d)}`);
    if (items.length % 2) fail('SETITEMS needs key/value pairs, found an odd number of items');
    for (let i = 0; i < items.length; i += 2) (d as Map<unknown, unknown>).set(hashable(items[i]), items[i + 1]);
  };
  const appendItems = (l: unknown, items: unknown[]): void => {
    if (!Array.isArray(l)) fail(`APPEND target must be a list, found ${pyTypeName(l)}`);
    for (const it of items) (l as unknown[]).push(it);
  };
  const global = (module: string, name: string): PyGlobal => {
    const g = options.findGlobal(module, name);
    if (!g) {
      const allowed = options.allowedGlobals?.length ? `; allowed: ${options.allowedGlobals.join(', ')}` : '';
      fail(`refusing global '${module}.${name}': not on the allow-list${allowed}`);
    }
    return g!;
  };
  const line = (): string => {
    const start = pos;
    const end = bytes.indexOf(0x0a, start);
    if (end < 0 || end - start > 512) fail('expected a newline-terminated name');
    pos = end + 1;
    const s = new TextDecoder('latin1').decode(bytes.subarray(start, end));
    if (!/^[A-Za-z_][\w.]*$/.test(s)) fail(`malformed global name ${JSON.stringify(s.slice(0, 60))}`);
    return s;
  };

  while (true) {
    opPos = pos;
    const op = bytes[need(1)]!;
    opName = OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
    switch (op) {
      case 0x80: { // PROTO
        const v = bytes[need(1)]!;
        if (v < 2 || v > 5) fail(`unsupported pickle protocol ${v} (expected 2 to 5)`);
        break;
      }
      case 0x95: { // FRAME: a length hint only
        const n = dv.getBigUint64(need(8), true);
        if (n > BigInt(bytes.length - pos)) fail(`frame of ${n} bytes runs past the end`);
        break;
      }
      case 0x2e: { // STOP
        if (marks.length) fail('MARK left open at STOP');
        if (stack.length !== 1) fail(`expected exactly one value on the stack at STOP, found ${stack.length}`);
        return { value: stack[0], end: pos };
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(dv.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(bytes[need(1)]!); break; // BININT1
      case 0x4d: stack.push(dv.getUint16(need(2), true)); break; // BININT2
      case 0x8a: stack.push(long(bytes[need(1)]!)); break; // LONG1
      case 0x8b: { // LONG4
        const n = dv.getInt32(need(4), true);
        if (n < 0 || n > 64) fail(`LONG4 of ${n} bytes refused (at most 64)`);
        stack.push(long(n));
        break;
      }
      case 0x47: stack.push(dv.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(str(dv.getUint32(need(4), true))); break; // BINUNICODE
      case 0x8c: stack.push(str(bytes[need(1)]!)); break; // SHORT_BINUNICODE
      case 0x8d: { // BINUNICODE8
        const n = dv.getBigUint64(need(8), true);
        if (n > BigInt(bytes.length - pos)) fail(`string of ${n} bytes runs past the end`);
        stack.push(str(Number(n)));
        break;
      }
      case 0x42: case 0x43: { // BINBYTES, SHORT_BINBYTES
        const n = op === 0x42 ? dv.getUint32(need(4), true) : bytes[need(1)]!;
        const p = need(n);
        stack.push(bytes.slice(p, p + n));
        break;
      }
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c])); break; }
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const d = new Map(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`ADDITEMS target must be a set, found ${pyTypeName(s)}`);
        for (const it of items) (s as Set<unknown>).add(hashable(it));
        break;
      }
      case 0x91: stack.push(new Set(popMark().map(hashable))); break; // FROZENSET
      case 0x71: memo.set(bytes[need(1)]!, top()); break; // BINPUT
      case 0x72: memo.set(dv.getUint32(need(4), true), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? bytes[need(1)]! : dv.getUint32(need(4), true);
        if (!memo.has(k)) fail(`memo key ${k} was never stored`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) fail(`REDUCE arguments must be a tuple, found ${pyTypeName(args)}`);
        if (!isPyGlobal(fn) || !fn.call) fail(`REDUCE target ${pyTypeName(fn)} is not callable here`);
        const g = fn as PyGlobal;
        stack.push(guard(fail, `${g.module}.${g.name}`, () => g.call!((args as PyTuple).items)));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) fail(`NEWOBJ arguments must be a tuple, found ${pyTypeName(args)}`);
        if (!isPyGlobal(cls) || !cls.newObj) fail(`NEWOBJ class ${pyTypeName(cls)} cannot be instantiated here`);
        const g = cls as PyGlobal;
        stack.push(guard(fail, `${g.module}.${g.name}`, () => g.newObj!((args as PyTuple).items)));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = pop();
        if (!options.build) fail(`BUILD (setstate) on ${pyTypeName(obj)} is not supported`);
        stack.push(guard(fail, `BUILD on ${pyTypeName(obj)}`, () => options.build!(obj, state)));
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail('persistent ids are not supported here');
        stack.push(guard(fail, 'persistent_load', () => options.persistentLoad!(pid)));
        break;
      }
      default:
        fail('unsupported opcode');
    }
  }
}

/** Hooks may throw anything; only InteropError leaves the unpickler. */
function guard(fail: (m: string) => never, what: string, f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    if (e instanceof InteropError) throw e;
    return fail(`${what}: ${(e as Error)?.message ?? String(e)}`);
  }
}

const OPCODE_NAMES: Record<number, string> = {
  0x80: 'PROTO', 0x95: 'FRAME', 0x2e: 'STOP', 0x28: 'MARK', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP',
  0x4e: 'NONE', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x4a: 'BININT', 0x4b: 'BININT1', 0x4d: 'BININT2',
  0x8a: 'LONG1', 0x8b: 'LONG4', 0x47: 'BINFLOAT', 0x58: 'BINUNICODE', 0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x29: 'EMPTY_TUPLE', 0x85: 'TUPLE1',
  0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x74: 'TUPLE', 0x5d: 'EMPTY_LIST', 0x6c: 'LIST', 0x61: 'APPEND',
  0x65: 'APPENDS', 0x7d: 'EMPTY_DICT', 0x64: 'DICT', 0x73: 'SETITEM', 0x75: 'SETITEMS', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x94: 'MEMOIZE',
  0x68: 'BINGET', 0x6a: 'LONG_BINGET', 0x63: 'GLOBAL', 0x93: 'STACK_GLOBAL', 0x52: 'REDUCE',
  0x81: 'NEWOBJ', 0x62: 'BUILD', 0x51: 'BINPERSID',
  // known but refused: text-protocol and code-running opcodes
  0x49: 'INT', 0x4c: 'LONG', 0x46: 'FLOAT', 0x53: 'STRING', 0x55: 'SHORT_BINSTRING', 0x54: 'BINSTRING',
  0x56: 'UNICODE', 0x70: 'PUT', 0x67: 'GET', 0x69: 'INST', 0x6f: 'OBJ', 0x50: 'PERSID', 0x92: 'NEWOBJ_EX',
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};
