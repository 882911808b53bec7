import { describe, expect, it } from 'vitest';
import { InteropError } from './errors.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { bf16ToF32, f16ToF32, type NamedTensor } from './types.js';
import { expectOnlyInteropError, expectTensorMatches, expectedTensors, fixture, rng } from '../../test/interop/helpers.js';

const ALL_DTYPES: [string, NamedTensor][] = [
  ['f32', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1.5, -0, NaN, Infinity, -3.25e-38, 1e-45]) }],
  ['f64', { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -Number.MAX_VALUE, 5e-324]) }],
  ['f16', { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xfbff]) }],
  ['bf16', { dtype: 'BF16', shape: [1, 2], data: new Uint16Array([0x3f80, 0xc049]) }],
  ['i64', { dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n]) }],
  ['i32', { dtype: 'I32', shape: [2, 1], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) }],
  ['u8', { dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) }],
  ['bool', { dtype: 'BOOL', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) }],
  ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([7]) }],
  ['empty', { dtype: 'F64', shape: [0, 4], data: new Float64Array(0) }],
];

describe('safetensors round trip', () => {
  it('keeps every dtype, shape and value, and the metadata', () => {
    const meta = Object.fromEntries([['format', 'pt'], ['note', 'ü ✓'], ['__proto__', 'plain key']]);
    const bytes = writeSafetensors(ALL_DTYPES, meta);
    const { tensors, metadata } = readSafetensors(bytes);
    expect([...tensors.keys()].sort()).toEqual(ALL_DTYPES.map(([n]) => n).sort());
    for (const [name, t] of ALL_DTYPES) {
      const back = tensors.get(name)!;
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(back.data.constructor).toBe(t.data.constructor);
      expect([...back.data]).toEqual([...t.data]);
    }
    expect(Object.entries(metadata).sort()).toEqual([['__proto__', 'plain key'], ['format', 'pt'], ['note', 'ü ✓']]);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
  });

  it('pads the header with spaces to a multiple of 8 and stores tensors sorted by name, contiguously', () => {
    const bytes = writeSafetensors(new Map([['b', ALL_DTYPES[6]![1]], ['a', ALL_DTYPES[5]![1]]]));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd()).toBe('{"a":{"dtype":"I32","shape":[2,1],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}');
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(bytes.length).toBe(8 + n + 11);
    // explicitly little-endian
    expect([...bytes.subarray(8 + n, 8 + n + 4)]).toEqual([0, 0, 0, 0x80]);
  });

  it('reads from an unaligned view into aligned arrays that own their memory', () => {
    const bytes = writeSafetensors(ALL_DTYPES);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const view = shifted.subarray(3);
    const { tensors } = readSafetensors(view);
    const f64 = tensors.get('f64')!.data as Float64Array;
    expect(f64.byteOffset % 8).toBe(0);
    expect([...f64]).toEqual([Math.PI, -Number.MAX_VALUE, 5e-324]);
    view.fill(0);
    expect(f64[0]).toBe(Math.PI);
  });

  it('matches the file written in Python, value for value and byte for byte', () => {
    const bytes = fixture('tiny_state_dict.safetensors');
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', source: 'make_interop_fixtures.py' });
    const expected = expectedTensors();
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, e] of Object.entries(expected)) expectTensorMatches(name, tensors.get(name), e);
    expect(writeSafetensors(tensors, metadata)).toEqual(bytes);
  });

  it('omits __metadata__ when none is given', () => {
    const { metadata } = readSafetensors(writeSafetensors([['x', ALL_DTYPES[0]![1]]]));
    expect(metadata).toEqual({});
  });
});

describe('half-precision helpers', () => {
  it('f16ToF32 decodes normals, subnormals, zeros, infinities and NaN', () => {
    const f = f16ToF32(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555]));
    expect([...f]).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, NaN, Math.fround(0.333251953125)]);
  });
  it('bf16ToF32 is the top half of a float32', () => {
    expect([...bf16ToF32(new Uint16Array([0x3f80, 0xc049, 0xff80, 0x8000]))]).toEqual([1, -3.140625, -Infinity, -0]);
  });
});

describe('writeSafetensors refuses bad input', () => {
  const f32 = (shape: number[], n: number): NamedTensor => ({ dtype: 'F32', shape, data: new Float32Array(n) });
  const cases: [string, [string, NamedTensor][], RegExp, Record<string, string>?][] = [
    ['data length ≠ product(shape)', [['x', f32([2, 2], 3)]], /shape \[2, 2\] has 4 elements but data has 3/],
    ['wrong array class', [['x', { dtype: 'I64', shape: [1], data: new Int32Array(1) }]], /I64 needs a BigInt64Array, found Int32Array/],
    ['unknown dtype', [['x', { dtype: 'I8' as 'U8', shape: [1], data: new Uint8Array(1) }]], /unsupported dtype string "I8"/],
    ['negative dim', [['x', f32([-1], 0)]], /non-negative integers/],
    ['reserved name', [['__metadata__', f32([1], 1)]], /may not be named "__metadata__"/],
    ['duplicate name', [['x', f32([1], 1)], ['x', f32([1], 1)]], /'x' given twice/],
    ['bool byte 2', [['x', { dtype: 'BOOL', shape: [1], data: new Uint8Array([2]) }]], /expected 0 or 1/],
    ['metadata value not a string', [], /metadata value for key "n" must be a string, found number 1/, { n: 1 as unknown as string }],
  ];
  it.each(cases)('%s', (_, tensors, message, metadata) => {
    expect(() => writeSafetensors(tensors, metadata)).toThrowError(message);
    expect(() => writeSafetensors(tensors, metadata)).toThrowError(InteropError);
  });
});

/** header (object or raw text), data bytes, optional forged length. */
function file(header: unknown, data: Uint8Array | number = 0, length?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function rawHeader(bytes: number[]): Uint8Array {
  const out = new Uint8Array(8 + bytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  return out;
}

const t = (dtype: unknown, shape: unknown, data_offsets: unknown) => ({ dtype, shape, data_offsets });

describe('readSafetensors refuses malformed files with a helpful InteropError', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /file is 0 bytes long, shorter than the 8-byte header length/],
    ['7-byte file', new Uint8Array(7), /file is 7 bytes long/],
    ['header length past the end', file('{}', 0, 100n), /header length 100 runs past the end of the file \(2 bytes after the length\)/],
    ['absurd header length', file('{}', 0, 2n ** 40n), /header length 1099511627776 exceeds the 100000000-byte limit/],
    ['u64 max header length', file('{}', 0, 2n ** 64n - 1n), /exceeds the 100000000-byte limit/],
    ['invalid UTF-8', rawHeader([0x7b, 0xff, 0xfe, 0x7d]), /header \(4 bytes\) is not valid UTF-8/],
    ['truncated JSON', file('{"a":'), /header is not valid JSON .*it starts "\{\\"a\\":"/],
    ['empty header', file(''), /not valid JSON/],
    ['header is an array', file('[]'), /header must be a JSON object, found array \[\]/],
    ['header is null', file('null'), /header must be a JSON object, found null/],
    ['header is a number', file('42'), /found number 42/],
    ['tensor info not an object', file({ a: 5 }), /tensor 'a': expected \{dtype, shape, data_offsets\}, found number 5/],
    ['unknown dtype', file({ a: t('F8_E4M3', [1], [0, 1]) }, 1), /tensor 'a': unsupported dtype string "F8_E4M3"; supported: F32, F64/],
    ['missing dtype', file({ a: t(undefined, [1], [0, 1]) }, 1), /unsupported dtype undefined/],
    ['shape negative', file({ a: t('U8', [-1], [0, 0]) }), /tensor 'a': shape must be an array of non-negative integers, found array \[-1\]/],
    ['shape fractional', file({ a: t('U8', [1.5], [0, 1]) }, 1), /shape must be an array of non-negative integers/],
    ['shape of strings', file({ a: t('U8', ['2'], [0, 2]) }, 2), /shape must be an array of non-negative integers, found array \["2"\]/],
    ['shape not an array', file({ a: t('U8', 2, [0, 2]) }, 2), /shape must be an array .*found number 2/],
    ['offsets not an array', file({ a: t('U8', [1], 0) }, 1), /data_offsets must be \[begin, end\] non-negative integers, found number 0/],
    ['offsets of three', file({ a: t('U8', [1], [0, 1, 2]) }, 1), /data_offsets must be \[begin, end\]/],
    ['offsets fractional', file({ a: t('U8', [1], [0, 1.5]) }, 1), /data_offsets must be \[begin, end\] non-negative integers, found array \[0,1.5\]/],
    ['offsets negative', file({ a: t('U8', [1], [-1, 0]) }, 1), /data_offsets must be/],
    ['begin > end', file({ a: t('U8', [0], [4, 0]) }, 4), /tensor 'a': data_offsets begin 4 > end 0/],
    ['offsets out of bounds', file({ a: t('U8', [8], [0, 8]) }, 4), /tensor 'a': data_offsets \[0, 8\] run past the end of the 4-byte data buffer/],
    ['byte size ≠ numel × size', file({ a: t('F32', [2], [0, 4]) }, 4), /tensor 'a': F32 \[2\] needs 8 bytes but data_offsets \[0, 4\] span 4/],
    ['too many elements', file({ a: t('F64', [2 ** 40, 2 ** 40], [0, 8]) }, 8), /too many elements/],
    ['overlapping tensors', file({ a: t('U8', [4], [0, 4]), b: t('U8', [2], [2, 4]) }, 4), /tensor 'b' \(bytes 2..4\) overlaps tensor 'a' \(ends at 4\)/],
    ['duplicate ranges', file({ a: t('U8', [4], [0, 4]), b: t('U8', [4], [0, 4]) }, 4), /overlaps/],
    ['hole between tensors', file({ a: t('U8', [4], [0, 4]), b: t('U8', [4], [8, 12]) }, 12), /bytes 4..8 of the data buffer belong to no tensor \(hole after tensor 'a'\)/],
    ['hole at the start', file({ a: t('U8', [4], [4, 8]) }, 8), /bytes 0..4 of the data buffer belong to no tensor \(hole after \(start of data\)\)/],
    ['trailing bytes', file({ a: t('U8', [4], [0, 4]) }, 6), /data buffer is 6 bytes but the tensors cover only 4 \(trailing bytes after tensor 'a'\)/],
    ['no tensors but data', file({}, 3), /data buffer is 3 bytes but the tensors cover only 0/],
    ['metadata not an object', file({ __metadata__: ['x'] }), /"__metadata__" must be an object of strings, found array/],
    ['metadata value not a string', file({ __metadata__: { epoch: 3 } }), /metadata value for key "epoch" must be a string, found number 3/],
    ['metadata value null', file({ __metadata__: { a: null } }), /metadata value for key "a" must be a string, found null/],
    ['bool byte not 0/1', file({ a: t('BOOL', [2], [0, 2]) }, new Uint8Array([1, 7])), /tensor 'a' \(BOOL\) holds byte 7 at element 1; expected 0 or 1/],
  ];
  it.each(cases)('%s', (_, bytes, message) => {
    let err: unknown;
    try {
      readSafetensors(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InteropError);
    expect((err as InteropError).code).toBe('E_SAFETENSORS');
    expect((err as InteropError).message).toMatch(message);
  });

  it('accepts the edge cases the spec allows', () => {
    // zero-size tensors sharing an offset, an empty file with no tensors, key order not sorted
    const ok = readSafetensors(file({ z: t('F32', [0], [0, 0]), y: t('U8', [0, 3], [0, 0]), a: t('U8', [1], [0, 1]) }, 1));
    expect([...ok.tensors.keys()]).toEqual(['z', 'y', 'a']);
    expect(readSafetensors(file({})).tensors.size).toBe(0);
    expect(readSafetensors(file('{}      ')).tensors.size).toBe(0);
  });
});

describe('readSafetensors fuzz', () => {
  it('2000 seeded mutations of the Python-written file: success or InteropError, nothing else', () => {
    const original = fixture('tiny_state_dict.safetensors');
    const headerLen = Number(new DataView(original.buffer).getBigUint64(0, true));
    const rand = rng(20240601);
    const int = (n: number) => Math.floor(rand() * n);
    const outcomes = { ok: 0, error: 0 };
    const JSONISH = '{}[],:"0123456789-.eE \\ntrufalsF';
    for (let i = 0; i < 2000; i++) {
      let m = original.slice();
      const kind = i % 6;
      if (kind === 0) {
        m = m.slice(0, int(m.length)); // truncation
      } else if (kind === 1) {
        for (let k = 1 + int(8); k > 0; k--) { const p = int(m.length); m[p]! ^= 1 << int(8); } // bit flips anywhere
      } else if (kind === 2) {
        for (let k = 1 + int(4); k > 0; k--) { const p = 8 + int(headerLen); m[p]! ^= 1 << int(8); } // bit flips in the header
      } else if (kind === 3) {
        const choices = [BigInt(int(m.length * 2)), BigInt(headerLen + int(17) - 8), 2n ** BigInt(int(64)), BigInt(int(2 ** 32))];
        new DataView(m.buffer).setBigUint64(0, choices[int(choices.length)]! & (2n ** 64n - 1n), true); // header length
      } else if (kind === 4) {
        const p = 8 + int(headerLen); // a JSON-significant character somewhere in the header
        m[p] = JSONISH.charCodeAt(int(JSONISH.length));
      } else {
        // splice: delete or duplicate a slice, then fix the header length half the time
        const a = int(m.length);
        const b = Math.min(m.length, a + int(16));
        m = rand() < 0.5 ? new Uint8Array([...m.subarray(0, a), ...m.subarray(b)]) : new Uint8Array([...m.subarray(0, b), ...m.subarray(a)]);
        if (rand() < 0.5 && m.length >= 8) new DataView(m.buffer).setBigUint64(0, BigInt(headerLen + (b - a)), true);
      }
      const outcome = expectOnlyInteropError(() => {
        const { tensors } = readSafetensors(m);
        for (const [, tt] of tensors) expect(tt.data.length).toBe(tt.shape.reduce((x, y) => x * y, 1));
      }, `mutation ${i} (kind ${kind})`);
      outcomes[outcome]++;
    }
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.error).toBeGreaterThan(500);
  });
});
