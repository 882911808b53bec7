import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { InteropError } from '../../src/formats/errors.js';
import { bf16ToF32, f16ToF32, type NamedTensor } from '../../src/formats/types.js';
import { crc32 } from '../../src/formats/zip.js';
import { Rng } from '../../src/data/rng.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'interop');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: (number | string | boolean)[];
  bits?: number[];
}

export function expectedTensors(): Record<string, ExpectedTensor> {
  return JSON.parse(readFileSync(join(FIXTURES, 'tiny_state_dict.expected.json'), 'utf8'));
}

function num(v: number | string | boolean): number {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v as number;
}

/** Exact comparison with the values PyTorch wrote (int64 as decimal strings, halves as raw bits). */
export function expectTensorMatches(name: string, t: NamedTensor | undefined, e: ExpectedTensor): void {
  expect(t, name).toBeDefined();
  expect({ name, dtype: t!.dtype, shape: t!.shape }).toEqual({ name, dtype: e.dtype, shape: e.shape });
  expect(t!.data.length, name).toBe(e.values.length);
  switch (t!.dtype) {
    case 'I64':
      expect([...(t!.data as BigInt64Array)].map(String), name).toEqual(e.values);
      break;
    case 'BOOL':
      expect([...(t!.data as Uint8Array)].map((b) => b === 1), name).toEqual(e.values);
      break;
    case 'F16': case 'BF16': {
      const bits = t!.data as Uint16Array;
      expect([...bits], name).toEqual(e.bits);
      const f = t!.dtype === 'F16' ? f16ToF32(bits) : bf16ToF32(bits);
      expect([...f], name).toEqual(e.values.map(num));
      break;
    }
    default:
      expect([...(t!.data as Float32Array)], name).toEqual(e.values.map(num));
  }
}

/** Runs `f`; passes when it returns or throws an InteropError, fails (with the case) otherwise. */
export function expectOnlyInteropError(f: () => unknown, label: string): 'ok' | 'error' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof InteropError)) {
      throw new Error(`${label}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    }
    return 'error';
  }
}

/** Seeded uniform floats in [0, 1): the project's own generator (mulberry32). */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.nextFloat();
}

/** A STORED zip, as torch writes it (method may be overridden to fake a compressed entry). */
export function makeZip(entries: [string, Uint8Array][], opts: { method?: number } = {}): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = enc.encode(name);
    const crc = crc32(data);
    const local = new Uint8Array(30 + n.length + data.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, opts.method ?? 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, n.length, true);
    local.set(n, 30);
    local.set(data, 30 + n.length);
    const central = new Uint8Array(46 + n.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, opts.method ?? 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, n.length, true);
    cv.setUint32(42, offset, true);
    central.set(n, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, ...centrals, eocd]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
