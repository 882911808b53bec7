// The opt-in to ONNX external data (LoadOptions.externalData = 'model-folder'): tensors whose
// bytes live in other files are read here, from the model file's own folder only, and put back
// inside the model, which is then vetted as a self-contained one (digest included). onnxruntime
// never resolves a path itself. Refused: absolute names, '..', names that leave the folder through
// a symbolic link, ranges outside the file, sizes that do not fit the tensor's type and shape.
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { decodeModel, encodeModel, toNumber } from '../onnx/proto.js';
import { externalTensors } from '../onnx/external.js';
import { ExternalDataError } from '../onnx/errors.js';
import { printable } from '../printable.js';
import { elementTypeOfOnnx } from '../dtypes.js';


/**
 * The model `bytes` (read from a file in `folder`) with every external tensor's data read from
 * `folder` and stored inline. At most `maxBytes` are read in all. Throws ExternalDataError
 * (E_EXTERNAL_DATA) naming the tensor and what is wrong with its reference.
 */
export async function inlineExternalData(bytes: Uint8Array, folder: string, maxBytes: number): Promise<Uint8Array> {
  const model = decodeModel(bytes, { allowExternalData: true });
  const found = externalTensors(model);
  if (found.length === 0) return bytes;
  const root = await realpath(folder);
  let total = 0;
  for (const ext of found) {
    const t = ext.tensor;
    const name = `${ext.where} '${printable(ext.name)}'`;
    const refuse = (why: string): never => {
      throw new ExternalDataError(`cannot read the external data of ${name}: ${why}`);
    };
    const loc = ext.location;
    if (loc === null || loc === '') refuse('it names no location');
    if (isAbsolute(loc!) || loc!.includes('\\') || loc!.includes('\0') || loc!.split('/').some((p) => p === '..')) {
      refuse(`location "${printable(loc!.slice(0, 200))}" must be a plain relative name inside the model's folder (no absolute path, no '..')`);
    }
    let real: string;
    try {
      real = await realpath(join(root, loc!));
    } catch {
      refuse(`"${printable(loc!)}" does not exist in the model's folder`);
    }
    if (!real!.startsWith(root + sep)) refuse(`"${printable(loc!)}" leads outside the model's folder (a symbolic link)`);
    const st = await stat(real!);
    if (!st.isFile()) refuse(`"${printable(loc!)}" is not a regular file`);
    const size = st.size;
    const entry = (key: string): number | null => {
      const v = (t.externalData ?? []).find((e) => e.key === key)?.value;
      if (v === undefined || v === null) return null;
      return /^\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : refuse(`its ${key} "${printable(v.slice(0, 40))}" is not a non-negative integer`);
    };
    const offset = entry('offset') ?? 0;
    const length = entry('length') ?? size - offset;
    if (offset + length > size) refuse(`bytes ${offset}…${offset + length} lie beyond the end of "${printable(loc!)}" (${size} bytes)`);
    const dims = (t.dims ?? []).map((d) => toNumber(d));
    const width = elementTypeOfOnnx(t.dataType)?.bytes ?? refuse(`data type ${t.dataType} cannot be stored externally`);
    const expected = dims.reduce((a, b) => a * b, 1) * width;
    if (length !== expected) refuse(`it is [${dims}] of data type ${t.dataType} (${expected} bytes), the reference holds ${length}`);
    total += length;
    if (total > maxBytes) refuse(`external data over ${maxBytes} bytes in all`);
    const data = new Uint8Array(length);
    const fh = await open(real!, 'r');
    try {
      await fh.read(data, 0, length, offset);
    } finally {
      await fh.close();
    }
    // Back to an ordinary inline tensor: exactly what it was before its data was moved out.
    t.rawData = data;
    delete t.dataLocation;
    delete t.externalData;
  }
  return encodeModel(model);
}
