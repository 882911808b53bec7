// The dtype table (src/dtypes.ts) against the authorities it transcribes: onnx's own
// TensorProto.DataType and numpy mapping, PyTorch's storage classes (both via /usr/bin/python3),
// onnxruntime's Tensor (which typed array it takes for each name), and the generated proto enum.
import { execFileSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ELEMENT_TYPES, ONNX_TYPE, SAFETENSORS_DTYPES, elementTypeNamed, elementTypeOfOnnx, elementTypeOfSafetensors } from '../dtypes.js';
import { TensorDataType } from './proto.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

interface PythonTruth {
  /** onnx.TensorProto.DataType: number → 'FLOAT', … */
  onnx: Record<string, string>;
  /** onnx.mapping.TENSOR_TYPE_TO_NP_TYPE: number → [numpy name, itemsize] */
  numpy: Record<string, [string, number]>;
  /** torch.<X>Storage → [dtype without 'torch.', element_size] */
  torch: Record<string, [string, number]>;
}

const SCRIPT = `
import json, numpy, onnx, torch
from onnx import mapping
storages = ${JSON.stringify(ELEMENT_TYPES.flatMap((t) => (t.torchStorage ? [t.torchStorage] : [])))}
out = {
  'onnx': {str(v): k for k, v in onnx.TensorProto.DataType.items()},
  'numpy': {str(k): [numpy.dtype(v).name, numpy.dtype(v).itemsize] for k, v in mapping.TENSOR_TYPE_TO_NP_TYPE.items()},
  'torch': {s: [str(getattr(torch, s)(0).dtype).replace('torch.', ''), getattr(torch, s)(0).element_size()] for s in storages},
}
print(json.dumps(out))
`;

const truth = (): PythonTruth => (requireSystemDependency('python3-onnx', 'python3-numpy', 'python3-torch'), JSON.parse(execFileSync('/usr/bin/python3', ['-c', SCRIPT], { encoding: 'utf8', timeout: 60_000 })) as PythonTruth);

describe('the dtype table', () => {
  it('matches onnx, numpy and PyTorch', () => {
    requireSystemDependency('python3-onnx', 'python3-numpy', 'python3-torch');
    const t = truth();
    expect(ELEMENT_TYPES.map((e) => [e.onnx, e.onnxName.toUpperCase()])).toEqual(
      Object.entries(t.onnx).filter(([n]) => n !== '0').map(([n, name]) => [Number(n), name]),
    );
    for (const e of ELEMENT_TYPES) {
      // onnx maps bfloat16 to numpy float32 (numpy has no bfloat16) and strings to object.
      if (e.name === 'bfloat16' || e.name === 'string') continue;
      const [np, size] = t.numpy[String(e.onnx)]!;
      expect(np, e.name).toBe(e.name);
      expect(e.bytes, e.name).toBe(size);
    }
    for (const e of ELEMENT_TYPES.filter((x) => x.torchStorage)) {
      expect(t.torch[e.torchStorage!], e.torchStorage!).toEqual([e.name, e.bytes]);
    }
  }, 60_000);

  it('names each number as the generated TensorDataType enum does', () => {
    for (const [key, n] of Object.entries(ONNX_TYPE)) expect(TensorDataType[n], key).toBe(key);
    expect(ELEMENT_TYPES.map((e) => e.onnx)).toEqual(Object.values(ONNX_TYPE));
  });

  it("gives each name the typed array onnxruntime's Tensor holds it in", () => {
    for (const e of ELEMENT_TYPES.filter((x) => x.array && x.name !== 'bfloat16')) {
      const t = new ort.Tensor(e.name as ort.Tensor.Type, new e.array!(2), [2]);
      expect(t.data.constructor, e.name).toBe(e.array);
    }
  });

  it('looks rows up by every spelling, and refuses unknown ones', () => {
    expect(elementTypeOfOnnx(ONNX_TYPE.FLOAT16)?.safetensors).toBe('F16');
    expect(elementTypeNamed('int64')?.onnx).toBe(7);
    expect(elementTypeOfSafetensors('BF16')?.name).toBe('bfloat16');
    expect([elementTypeOfOnnx(0), elementTypeOfOnnx(17), elementTypeOfOnnx(undefined), elementTypeNamed('F32'), elementTypeOfSafetensors('I8')]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect([...SAFETENSORS_DTYPES].sort()).toEqual(ELEMENT_TYPES.flatMap((e) => (e.safetensors ? [e.safetensors] : [])).sort());
  });
});
