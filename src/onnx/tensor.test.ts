// TensorProto <-> Tensor for every dtype, in raw_data and in the typed fields; malformed
// tensors; model metadata.
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  OnnxFormatError,
  TensorDataType,
  allocate,
  decodeModel,
  decodeTensor,
  encodeModel,
  encodeTensor,
  makeTensor,
  modelToObject,
  readMetadata,
  tensorFromProto,
  tensorOf,
  tensorToProto,
  toFloat64,
  writeMetadata,
  type ModelProto,
  type Tensor,
  type TensorProto,
} from './index.js';
import { Graph, op, toModel } from '../graph/index.js';

const T = TensorDataType;
const long = (v: bigint): number => (protobuf.util.Long as unknown as { fromString(s: string): number }).fromString(String(v));

/** Little-endian bytes of a typed array (what raw_data holds). */
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

const CASES: { dtype: Tensor['dtype']; elem: number; data: Tensor['data']; fields: Partial<TensorProto> }[] = [
  { dtype: 'float32', elem: T.FLOAT, data: Float32Array.from([1.5, -2, 0, NaN, Infinity, -0, 3.4e38]), fields: { floatData: [1.5, -2, 0, NaN, Infinity, -0, 3.4e38] } },
  { dtype: 'float64', elem: T.DOUBLE, data: Float64Array.from([1e-300, -2.5, Math.PI, NaN, -Infinity, 0]), fields: { doubleData: [1e-300, -2.5, Math.PI, NaN, -Infinity, 0] } },
  { dtype: 'int32', elem: T.INT32, data: Int32Array.from([0, -1, 2 ** 31 - 1, -(2 ** 31), 7, 42]), fields: { int32Data: [0, -1, 2 ** 31 - 1, -(2 ** 31), 7, 42] } },
  {
    dtype: 'int64',
    elem: T.INT64,
    data: BigInt64Array.from([0n, -1n, 2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 5n]),
    // protobufjs gives int64 fields as Long objects: values beyond 2^53 must survive.
    fields: { int64Data: [0, -1, long(2n ** 62n + 1n), long(-(2n ** 63n)), long(2n ** 63n - 1n), 5] },
  },
  { dtype: 'bool', elem: T.BOOL, data: Uint8Array.from([1, 0, 0, 1, 1, 0]), fields: { int32Data: [1, 0, 0, 1, 1, 0] } },
];

describe('TensorProto <-> Tensor', () => {
  for (const c of CASES) {
    const dims = [c.data.length];
    it(`${c.dtype}: Tensor -> raw_data -> Tensor, bit for bit`, () => {
      const t = makeTensor(c.dtype, dims, c.data as never);
      const p = tensorToProto(t, 'x');
      expect(p.dataType).toBe(c.elem);
      expect(p.name).toBe('x');
      expect(p.rawData).toEqual(bytesOf(c.data as ArrayBufferView));
      const back = tensorFromProto(decodeTensor(encodeTensor(p)));
      expect(back.dtype).toBe(c.dtype);
      expect(back.dims).toEqual(dims);
      expect(bytesOf(back.data as ArrayBufferView)).toEqual(bytesOf(c.data as ArrayBufferView));
    });
    it(`${c.dtype}: typed field -> Tensor`, () => {
      const p: TensorProto = { dims, dataType: c.elem, ...c.fields };
      const back = tensorFromProto(decodeTensor(encodeTensor(p)));
      expect(back.dtype).toBe(c.dtype);
      expect(back.data.constructor).toBe(c.data.constructor);
      expect(bytesOf(back.data as ArrayBufferView)).toEqual(bytesOf(c.data as ArrayBufferView));
      // And straight from the in-memory object (plain numbers and Longs, before any encoding).
      expect(bytesOf(tensorFromProto(p).data as ArrayBufferView)).toEqual(bytesOf(c.data as ArrayBufferView));
    });
  }

  it('string: string_data both ways, UTF-8 included', () => {
    const t = makeTensor('string', [2, 2], ['a', '', 'héllo', '日本']);
    const p = tensorToProto(t);
    expect(p.dataType).toBe(T.STRING);
    expect(p.rawData).toBeUndefined();
    const back = tensorFromProto(decodeTensor(encodeTensor(p)));
    expect(back).toEqual(t);
  });

  it("empty strings survive encodeTensor/encodeModel (protobufjs's fromObject would drop them and crash)", () => {
    const t = makeTensor('string', [3], ['', 'x', '']);
    expect(tensorFromProto(decodeTensor(encodeTensor(tensorToProto(t))))).toEqual(t);
    const g = new Graph();
    const c = g.constant(t, 'labels');
    g.output(op.identity(c), 'y');
    const m = toModel(g);
    m.graph!.node![0]!.attribute = [{ name: 'tags', type: 8, strings: [new Uint8Array(0), new TextEncoder().encode('a')] }];
    const back = decodeModel(encodeModel(m));
    expect(tensorFromProto(back.graph!.initializer![0]!)).toEqual(t);
    expect(back.graph!.node![0]!.attribute![0]!.strings!.map((b) => b.length)).toEqual([0, 1]);
    expect(modelToObject(m)).toEqual(modelToObject(back));
  });

  it('raw_data at an odd offset inside a larger buffer is read correctly (copied, aligned)', () => {
    const data = Float64Array.from([1.25, -7]);
    const buf = new Uint8Array(3 + 16);
    buf.set(bytesOf(data), 3);
    const t = tensorFromProto({ dims: [2], dataType: T.DOUBLE, rawData: buf.subarray(3) });
    expect(Array.from(t.data as Float64Array)).toEqual([1.25, -7]);
  });

  it('scalars and empty tensors', () => {
    const s = tensorFromProto(tensorToProto(tensorOf('float32', 2.5)));
    expect(s.dims).toEqual([]);
    expect(Array.from(s.data as Float32Array)).toEqual([2.5]);
    const e = tensorFromProto(decodeTensor(encodeTensor(tensorToProto(allocate('int64', [0, 3])))));
    expect(e.dims).toEqual([0, 3]);
    expect(e.data).toBeInstanceOf(BigInt64Array);
    expect(e.data.length).toBe(0);
    const scalarField = tensorFromProto({ dataType: T.INT32, int32Data: [9] });
    expect(scalarField.dims).toEqual([]);
    expect(Array.from(scalarField.data as Int32Array)).toEqual([9]);
  });

  it('a raw_data length that does not match the dims is an OnnxFormatError', () => {
    const raw = new Uint8Array(10);
    expect(() => tensorFromProto({ dims: [3], dataType: T.FLOAT, rawData: raw })).toThrow(OnnxFormatError);
    expect(() => tensorFromProto({ dims: [3], dataType: T.FLOAT, rawData: raw })).toThrow(/raw_data holds 10 bytes, expected 12/);
    expect(() => tensorFromProto({ dims: [2], dataType: T.INT64, rawData: new Uint8Array(15) })).toThrow(OnnxFormatError);
    expect(() => tensorFromProto({ dims: [4], dataType: T.BOOL, rawData: new Uint8Array(3) })).toThrow(OnnxFormatError);
  });

  it('other malformed tensors are OnnxFormatErrors too', () => {
    const bad: [TensorProto, RegExp][] = [
      [{ dims: [3], dataType: T.FLOAT, floatData: [1, 2] }, /float_data holds 2 values, expected 3/],
      [{ dims: [2], dataType: T.INT64, int64Data: [1, 2, 3] }, /int64_data/],
      [{ dims: [2], dataType: T.STRING, rawData: new Uint8Array(2) }, /raw_data is not allowed for string/],
      [{ dims: [2], dataType: T.FLOAT16, rawData: new Uint8Array(4) }, /unsupported tensor element type 10 \(FLOAT16\)/],
      [{ dims: [2], dataType: 0 }, /unsupported tensor element type 0/],
      [{ dims: [-1], dataType: T.FLOAT, floatData: [] }, /invalid dims/],
      [{ name: 'w', dims: [2], dataType: T.FLOAT, dataLocation: 1 }, /external data/],
    ];
    for (const [p, msg] of bad) {
      expect(() => tensorFromProto(p)).toThrow(OnnxFormatError);
      expect(() => tensorFromProto(p)).toThrow(msg);
    }
  });

  it('makeTensor checks the element count; tensorOf clamps int64 to its range; toFloat64 reads any numeric dtype', () => {
    expect(() => makeTensor('float32', [2, 2], new Float32Array(3))).toThrow(RangeError);
    const big = tensorOf('int64', [2 ** 63, -(2 ** 63), Infinity, 5]);
    expect(Array.from(big.data as BigInt64Array)).toEqual([2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n - 1n, 5n]);
    expect(Array.from(toFloat64(tensorOf('int64', [3, -4])))).toEqual([3, -4]);
    expect(Array.from(toFloat64(makeTensor('bool', [2], Uint8Array.from([1, 0]))))).toEqual([1, 0]);
    expect(() => toFloat64(makeTensor('string', [1], ['x']))).toThrow(TypeError);
  });
});

describe('model metadata', () => {
  const model = (): ModelProto => {
    const g = new Graph();
    g.output(op.relu(g.input('x', 'float32', [2])), 'y');
    return toModel(g, { metadata: { config: '{"hidden":50}', labels: 'neg,pos' } });
  };

  it('toModel writes metadata_props; readMetadata reads them back after encoding', () => {
    const m = decodeModel(encodeModel(model()));
    expect(readMetadata(m)).toEqual({ config: '{"hidden":50}', labels: 'neg,pos' });
  });

  it('writeMetadata replaces existing keys, keeps the others, and survives a round trip', () => {
    const m = model();
    writeMetadata(m, { labels: 'a,b,c', vocab: 'the\nof\nand', empty: '' });
    const back = decodeModel(encodeModel(m));
    expect(readMetadata(back)).toEqual({ config: '{"hidden":50}', labels: 'a,b,c', vocab: 'the\nof\nand', empty: '' });
    expect(back.metadataProps!.filter((p) => p.key === 'labels')).toHaveLength(1);
  });

  it('a model without metadata reads as {}', () => {
    const g = new Graph();
    g.output(op.neg(g.input('x', 'float32', [1])), 'y');
    expect(readMetadata(decodeModel(encodeModel(toModel(g))))).toEqual({});
  });
});
