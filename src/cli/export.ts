// `highway-onnx export --dtype fp16|int8`: the model with smaller stored weights (src/onnx/quantize.ts).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { quantizeModel, type ExportDType } from '../onnx/quantize.js';
import { vetClassifierModel } from '../runtime/validate.js';
import { UsageError } from './errors.js';

/** `export` options: input model, output path, storage dtype, and (int8) how the other weights are stored. */
export interface ExportArgs {
  model: string;
  out: string;
  dtype: ExportDType;
  weights: 'fp16' | 'fp32';
}

/** Writes the converted model (temporary file + rename) and prints one JSON line: path, dtype, bytes before and after. */
export async function exportCommand(a: ExportArgs): Promise<{ out: string; dtype: ExportDType; bytesIn: number; bytesOut: number }> {
  const bytes = await readFile(a.model).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read model '${a.model}': ${e.code ?? e.message}`);
  });
  vetClassifierModel(bytes); // a broken model fails here, with the loader's typed error
  const out = encodeModel(quantizeModel(decodeModel(bytes), a.dtype, { otherWeights: a.weights }));
  // The result must load as any model does: vetted, then run by the caller's runtime.
  vetClassifierModel(out);
  const tmp = `${a.out}.tmp-${process.pid}`;
  await writeFile(tmp, out);
  await rename(tmp, a.out);
  const result = { out: a.out, dtype: a.dtype, bytesIn: bytes.length, bytesOut: out.length };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result;
}
