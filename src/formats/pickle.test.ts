import { describe, expect, it } from 'vitest';
import { InteropError } from './errors.js';
import { PyTuple, unpickle, type PyGlobal } from './pickle.js';
import { op, pk } from '../../test/interop/pickle-builder.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
const none = { findGlobal: () => undefined };

// /usr/bin/python3: shared = [7]; v = [None, True, False, 0, 255, 65535, -1, 2**31-1, -2**31, 2**53+1, 2**63,
//   -2**70, 1.5, -0.0, 'é✓', (1,), (1,2), (1,2,3), (), {'a': 1, 2: [3]}, shared, shared]
// pickle.dumps(v, protocol=2) and pickle.dumps(v + [b'\x00\x01', {5}, frozenset([6])], protocol=4)
const P2 = '80025d7100284e88894b004bff4dffff4affffffff4affffff7f4a000000808a07010000000000208a090000000000000080008a090000000000000000c0473ff80000000000004780000000000000005805000000c3a9e29c9371014b018571024b014b028671034b014b024b03877104297d71052858010000006171064b014b025d71074b0361755d71084b07616808652e';
const P4 = '80049592000000000000005d94284e88894b004bff4dffff4affffffff4affffff7f4a000000808a07010000000000208a090000000000000080008a090000000000000000c0473ff80000000000004780000000000000008c05c3a9e29c93944b0185944b014b0286944b014b024b038794297d94288c0161944b014b025d944b0361755d944b0761680843020001948f94284b0590284b069194652e';

function expectPlainValues(v: unknown): void {
  expect(Array.isArray(v)).toBe(true);
  const a = v as unknown[];
  expect(a.slice(0, 10)).toEqual([null, true, false, 0, 255, 65535, -1, 2 ** 31 - 1, -(2 ** 31), 2n ** 53n + 1n]);
  expect(a[10]).toBe(2n ** 63n);
  expect(a[11]).toBe(-(2n ** 70n));
  expect(a[12]).toBe(1.5);
  expect(Object.is(a[13], -0)).toBe(true);
  expect(a[14]).toBe('é✓');
  expect(a.slice(15, 19)).toEqual([new PyTuple([1]), new PyTuple([1, 2]), new PyTuple([1, 2, 3]), new PyTuple([])]);
  expect(a[19]).toEqual(new Map<unknown, unknown>([['a', 1], [2, [3]]]));
  expect(a[20]).toEqual([7]);
  expect(a[21]).toBe(a[20]); // the memo keeps identity
}

describe('restricted unpickler', () => {
  it('decodes a protocol 2 pickle written by Python', () => {
    const v = unpickle(hex(P2), none) as unknown[];
    expectPlainValues(v);
    expect(v).toHaveLength(22);
  });

  it('decodes a protocol 4 pickle (FRAME, MEMOIZE, SHORT_BINUNICODE, bytes, sets)', () => {
    const v = unpickle(hex(P4), none) as unknown[];
    expectPlainValues(v);
    expect(v[22]).toEqual(new Uint8Array([0, 1]));
    expect(v[23]).toEqual(new Set([5]));
    expect(v[24]).toEqual(new Set([6]));
  });

  it('calls only the globals it is given, with plain values', () => {
    const calls: unknown[] = [];
    const add: PyGlobal = { module: 'm', name: 'add', call: (args) => { calls.push(args); return (args[0] as number) + (args[1] as number); } };
    const v = unpickle(pk(op.proto, op.global('m', 'add'), op.int(2), op.int(3), [0x86], op.reduce, op.stop), {
      findGlobal: (m, n) => (m === 'm' && n === 'add' ? add : undefined),
    });
    expect(v).toBe(5);
    expect(calls).toEqual([[2, 3]]);
  });

  it.each([
    ['os', 'system', 'GLOBAL'],
    ['posix', 'system', 'GLOBAL'],
    ['nt', 'system', 'GLOBAL'],
    ['builtins', 'eval', 'STACK_GLOBAL'],
    ['builtins', 'exec', 'STACK_GLOBAL'],
    ['__builtin__', 'getattr', 'GLOBAL'],
    ['subprocess', 'Popen', 'STACK_GLOBAL'],
    ['torch', 'load', 'GLOBAL'],
  ])('refuses %s.%s reached through %s, naming it', (module, name, how) => {
    const reach = how === 'GLOBAL' ? op.global(module, name) : op.stackGlobal(module, name);
    const bytes = pk(op.proto, reach, op.str('echo pwned'), op.tuple1, op.reduce, op.stop);
    expect(() => unpickle(bytes, { findGlobal: () => undefined, allowedGlobals: ['collections.OrderedDict'] }))
      .toThrowError(new RegExp(`refusing global '${module}\\.${name}': not on the allow-list; allowed: collections\\.OrderedDict \\(opcode ${how}`));
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['empty input', new Uint8Array(0), /needs 1 more bytes but only 0 remain/],
    ['no STOP', pk(op.proto, op.none), /needs 1 more bytes but only 0 remain/],
    ['protocol 1', pk([0x80, 1], op.none, op.stop), /unsupported pickle protocol 1/],
    ['text opcode INST', pk(op.proto, 'ios\nsystem\n', op.stop), /unsupported opcode \(opcode INST at byte 2\)/],
    ['unknown opcode', pk(op.proto, [0xff]), /unsupported opcode \(opcode 0xff at byte 2\)/],
    ['stack underflow', pk(op.proto, op.reduce), /stack underflow \(opcode REDUCE/],
    ['pop through a mark', pk(op.proto, op.none, op.mark, op.tuple1), /stack underflow \(opcode TUPLE1/],
    ['missing memo key', pk(op.proto, [0x68, 9]), /memo key 9 was never stored \(opcode BINGET/],
    ['truncated string', pk(op.proto, [0x58, 100, 0, 0, 0], 'ab'), /needs 100 more bytes but only 2 remain \(opcode BINUNICODE/],
    ['invalid UTF-8', pk(op.proto, [0x58, 2, 0, 0, 0, 0xc3, 0x28], op.stop), /string of 2 bytes is not valid UTF-8/],
    ['two values at STOP', pk(op.proto, op.none, op.none, op.stop), /expected exactly one value on the stack at STOP, found 2/],
    ['open MARK at STOP', pk(op.proto, op.none, op.mark, op.stop), /MARK left open at STOP/],
    ['APPEND to a tuple', pk(op.proto, op.emptyTuple, op.none, 'a'), /APPEND target must be a list, found tuple/],
    ['SETITEM on a list', pk(op.proto, op.emptyList, op.none, op.none, op.setitem), /SETITEM target must be a dict, found list/],
    ['odd SETITEMS', pk(op.proto, op.emptyDict, op.mark, op.none, op.setitems), /odd number of items/],
    ['unhashable key', pk(op.proto, op.emptyDict, op.emptyList, op.none, op.setitem), /unhashable dict key of type list/],
    ['REDUCE on a non-callable', pk(op.proto, op.none, op.emptyTuple, op.reduce), /REDUCE target None is not callable here/],
    ['BUILD without a hook', pk(op.proto, op.emptyDict, op.none, op.build), /BUILD \(setstate\) on dict is not supported/],
    ['persistent id without a hook', pk(op.proto, op.none, op.persid), /persistent ids are not supported here/],
    ['malformed global line', pk(op.proto, 'cos system\n'), /expected a newline-terminated name|malformed global name/],
    ['STACK_GLOBAL of non-strings', pk(op.proto, op.none, op.none, [0x93]), /STACK_GLOBAL needs two strings/],
    ['huge LONG4', pk(op.proto, [0x8b, 0, 0, 0, 1]), /LONG4 of 16777216 bytes refused/],
    ['frame past the end', pk([0x80, 4, 0x95, 0xff, 0, 0, 0, 0, 0, 0, 0]), /frame of 255 bytes runs past the end/],
  ];
  it.each(bad)('rejects %s with an InteropError', (_, bytes, message) => {
    let err: unknown;
    try {
      unpickle(bytes, none);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InteropError);
    expect((err as InteropError).code).toBe('E_PICKLE');
    expect((err as InteropError).message).toMatch(message);
  });

  it('turns an exception inside a hook into an InteropError', () => {
    const boom: PyGlobal = { module: 'm', name: 'f', call: () => { throw new TypeError('bad'); } };
    expect(() => unpickle(pk(op.proto, op.global('m', 'f'), op.emptyTuple, op.reduce, op.stop), { findGlobal: () => boom }))
      .toThrowError(/pickle: m\.f: bad/);
  });
});
