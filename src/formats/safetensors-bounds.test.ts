// §6 of issue 10 for safetensors: a header nested 10^6 deep is a coded error found in one
// linear scan, not a `Maximum call stack size exceeded` from walking the parsed JSON.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InteropError } from './errors.js';
import { jsonDepth, MAX_HEADER_DEPTH, readSafetensors, writeSafetensors } from './safetensors.js';
import { runCli } from '../../test/loaders/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'st-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file whose header is `json` and whose data buffer is empty. */
function withHeader(json: string): Uint8Array {
  const h = new TextEncoder().encode(json);
  const b = new Uint8Array(8 + h.length);
  new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
  b.set(h, 8);
  return b;
}

const deepShape = (n: number) => `{"w":{"dtype":"F32","shape":${'['.repeat(n)}${']'.repeat(n)},"data_offsets":[0,0]}}`;

function refusal(bytes: Uint8Array): InteropError {
  try {
    readSafetensors(bytes);
  } catch (e) {
    if (e instanceof InteropError) return e;
    throw e;
  }
  throw new Error('expected an InteropError');
}

describe('safetensors header nesting', () => {
  it('a shape nested 10^6 deep is refused with E_SAFETENSORS', () => {
    const e = refusal(withHeader(deepShape(1_000_000)));
    expect(e.code).toBe('E_SAFETENSORS');
    expect(e.message).toBe('safetensors: header nests arrays/objects 1000002 deep, over the limit of 8 (a valid header needs 3: {name: {shape: [...]}})');
  });

  it('metadata nested 10^5 deep, and brackets inside strings do not count', () => {
    expect(refusal(withHeader(`{"__metadata__":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`)).message).toMatch(/nests arrays\/objects 100001 deep/);
    expect(jsonDepth('{"a":"[[[[[[[[[[\\"[[[[","b":[1]}')).toBe(2);
  });

  it('headers up to the limit still parse (and a real file round-trips)', () => {
    expect(refusal(withHeader(deepShape(MAX_HEADER_DEPTH - 2))).message).toMatch(/shape must be an array of non-negative integers/);
    const bytes = writeSafetensors(new Map([['w', { dtype: 'F32' as const, shape: [2], data: Float32Array.of(1, 2) }]]), { k: 'v' });
    expect([...readSafetensors(bytes).tensors.get('w')!.data]).toEqual([1, 2]);
  });

  it('the CLI (inspect, import-torch) prints one coded line', async () => {
    const file = join(dir, 'deep.safetensors');
    writeFileSync(file, withHeader(deepShape(1_000_000)));
    const [a, b] = await Promise.all([runCli(['inspect', file]), runCli(['import-torch', '--weights', file, '--out', join(dir, 'x.onnx')])]);
    for (const r of [a, b]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^highway-onnx: \[E_SAFETENSORS\] safetensors: header nests arrays\/objects 1000002 deep/);
      expect(r.stderr).not.toMatch(/call stack/);
    }
  }, 60_000);
});
