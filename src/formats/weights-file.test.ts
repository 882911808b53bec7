import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InteropError } from './errors.js';
import { readSafetensors } from './safetensors.js';
import { readWeightsFile, writeSafetensorsFile } from './weights-file.js';
import { detectWeightsFormat, readWeights } from './weights.js';
import { FIXTURES, expectTensorMatches, expectedTensors, fixture } from '../../test/interop/helpers.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'interop-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('readWeightsFile', () => {
  it('picks the reader by magic bytes, not by file name', async () => {
    await writeFile(join(dir, 'weights.bin'), fixture('tiny_state_dict.pt'));
    await writeFile(join(dir, 'other.pt'), fixture('tiny_state_dict.safetensors'));
    const pt = await readWeightsFile(join(dir, 'weights.bin'));
    const st = await readWeightsFile(join(dir, 'other.pt'));
    expect(pt.format).toBe('pt');
    expect(st.format).toBe('safetensors');
    expect(st.metadata.source).toBe('make_interop_fixtures.py');
    for (const [name, e] of Object.entries(expectedTensors())) {
      expectTensorMatches(name, pt.tensors.get(name), e);
      expectTensorMatches(name, st.tensors.get(name), e);
    }
  });

  it('says what it expected for bytes of neither format', () => {
    expect(() => detectWeightsFormat(new TextEncoder().encode('not weights'))).toThrowError(
      /unrecognised weights file: expected safetensors .*, a PyTorch zip \('PK\\x03\\x04'\) or a legacy torch\.save file \(a pickled magic number\), found bytes 6e 6f 74/);
    expect(() => detectWeightsFormat(new Uint8Array([0x80, 2, 0x7d, 0x2e]))).toThrowError(/a bare pickle without torch\.save's magic number/);
    // A safetensors file whose header is 640 bytes long starts with 0x80 0x02 too: still safetensors.
    const header = `{"__metadata__":{"pad":"${'x'.repeat(640 - 27)}"}}`;
    expect(header.length).toBe(640);
    const st = new Uint8Array(8 + header.length);
    new DataView(st.buffer).setBigUint64(0, 640n, true);
    st.set(new TextEncoder().encode(header), 8);
    expect([st[0], st[1]]).toEqual([0x80, 0x02]);
    expect(readWeights(st)).toMatchObject({ format: 'safetensors', tensors: new Map() });
    expect(() => detectWeightsFormat(new Uint8Array(0))).toThrowError(InteropError);
  });

  it('refuses the malicious .pt through the same entry point', async () => {
    await expect(readWeightsFile(join(FIXTURES, 'malicious_os_system.pt'))).rejects.toThrowError(/refusing global 'os\.system'/);
  });
});

describe('writeSafetensorsFile', () => {
  it('writes atomically: replaces the old file whole and leaves no temporary file', async () => {
    const path = join(dir, 'checkpoint.safetensors');
    await writeFile(path, 'old contents');
    const tensors = new Map([['w', { dtype: 'F32' as const, shape: [2], data: new Float32Array([1, 2]) }]]);
    await writeSafetensorsFile(path, tensors, { step: '10' });
    const back = readSafetensors(new Uint8Array(await readFile(path)));
    expect([...back.tensors.get('w')!.data]).toEqual([1, 2]);
    expect(back.metadata).toEqual({ step: '10' });
    expect((await readdir(dir)).filter((n) => n.includes('checkpoint'))).toEqual(['checkpoint.safetensors']);
  });

  it('leaves the old file untouched when the tensors are invalid', async () => {
    const path = join(dir, 'keep.safetensors');
    await writeFile(path, 'old contents');
    const bad = new Map([['w', { dtype: 'F32' as const, shape: [3], data: new Float32Array(2) }]]);
    await expect(writeSafetensorsFile(path, bad)).rejects.toThrowError(InteropError);
    expect(await readFile(path, 'utf8')).toBe('old contents');
    expect((await readdir(dir)).filter((n) => n.includes('keep'))).toEqual(['keep.safetensors']);
  });
});
