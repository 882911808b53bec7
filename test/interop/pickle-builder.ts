/** Hand-assembled pickles for tests: each helper returns opcode bytes; `pk` concatenates them. */
import { concat, makeZip } from './helpers.js';

type Part = number[] | string | Uint8Array;

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

export function pk(...parts: Part[]): Uint8Array {
  return concat(parts.map((p) => (typeof p === 'string' ? latin1(p) : p instanceof Uint8Array ? p : Uint8Array.from(p))));
}

export const op = {
  proto: [0x80, 2],
  mark: '(',
  stop: '.',
  none: 'N',
  false: [0x89],
  tuple: 't',
  tuple1: [0x85],
  emptyTuple: ')',
  emptyDict: '}',
  emptyList: ']',
  setitem: 's',
  setitems: 'u',
  reduce: 'R',
  build: 'b',
  persid: 'Q',
  global: (module: string, name: string) => `c${module}\n${name}\n`,
  stackGlobal: (module: string, name: string) => [...op.str(module), ...op.str(name), 0x93],
  str: (s: string) => {
    const b = new TextEncoder().encode(s);
    return [0x58, ...u32(b.length), ...b];
  },
  int: (n: number) => [0x4a, ...u32(n)],
  ints: (ns: number[]) => ['(', ...ns.map((n) => op.int(n)), 't'] as Part[],
};

export interface TensorSpec {
  name?: string;
  storageType?: string;
  key?: string;
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
}

/** The pickle torch.save writes for {name: tensor}, one tensor per spec. */
export function stateDictPickle(specs: TensorSpec[]): Uint8Array {
  const parts: Part[] = [op.proto, op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce, op.mark];
  for (const s of specs) {
    parts.push(
      op.str(s.name ?? 'w'), op.global('torch._utils', '_rebuild_tensor_v2'), op.mark,
      op.mark, op.str('storage'), op.global('torch', s.storageType ?? 'FloatStorage'), op.str(s.key ?? '0'),
      op.str('cpu'), op.int(s.numel), op.tuple, op.persid,
      op.int(s.offset ?? 0), ...op.ints(s.size), ...op.ints(s.stride), op.false,
      op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce, op.tuple, op.reduce,
    );
  }
  parts.push(op.setitems, op.stop);
  return pk(...parts);
}

/** A torch.save-shaped zip around a data.pkl and its storages. */
export function ptZip(pkl: Uint8Array, storages: Record<string, Uint8Array> = {}, extra: [string, Uint8Array][] = []): Uint8Array {
  return makeZip([
    ['archive/data.pkl', pkl],
    ...Object.entries(storages).map(([k, v]) => [`archive/data/${k}`, v] as [string, Uint8Array]),
    ['archive/version', latin1('3\n')],
    ...extra,
  ]);
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}
