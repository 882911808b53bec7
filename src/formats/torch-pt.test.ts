import { describe, expect, it } from 'vitest';
import { InteropError } from './errors.js';
import { readTorchStateDict } from './torch-pt.js';
import { readZipEntries } from './zip.js';
import {
  expectOnlyInteropError, expectTensorMatches, expectedTensors, fixture, makeZip, rng,
} from '../../test/interop/helpers.js';
import { f32Bytes, op, pk, ptZip, stateDictPickle } from '../../test/interop/pickle-builder.js';

describe('readTorchStateDict on a file written by torch.save', () => {
  const bytes = fixture('tiny_state_dict.pt');
  const expected = expectedTensors();

  it('equals the values PyTorch reported, exactly, in state dict order', () => {
    const sd = readTorchStateDict(bytes);
    expect([...sd.keys()]).toEqual(Object.keys(expected));
    for (const [name, e] of Object.entries(expected)) expectTensorMatches(name, sd.get(name), e);
  });

  it('copies views (transposed, sliced with an offset) into contiguous tensors of their own', () => {
    const sd = readTorchStateDict(bytes);
    const w = sd.get('out.weight')!;
    const wt = sd.get('extra.transposed')!;
    expect(w.shape).toEqual([2, 6]);
    expect(wt.shape).toEqual([6, 2]);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 2; j++) expect(wt.data[i * 2 + j]).toBe(w.data[j * 6 + i]);
    const ih = sd.get('lstm.weight_ih_l0')!; // [12, 4]; sliced = ih[3:9:2, 1:]
    const sl = sd.get('extra.sliced')!;
    expect(sl.shape).toEqual([3, 3]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(sl.data[i * 3 + j]).toBe(ih.data[(3 + 2 * i) * 4 + 1 + j]);
    expect(wt.data.buffer).not.toBe(w.data.buffer);
    expect(wt.data.buffer).not.toBe(bytes.buffer);
  });

  it('refuses the malicious pickle that calls os.system, naming it', () => {
    const run = () => readTorchStateDict(fixture('malicious_os_system.pt'));
    expect(run).toThrowError(InteropError);
    expect(run).toThrowError(/refusing global 'os\.system'/);
    try { run(); } catch (e) { expect((e as InteropError).code).toBe('E_PICKLE'); }
  });
});

describe('readTorchStateDict on hand-built archives', () => {
  it('honours storage offset and general strides (including stride 0)', () => {
    const storage = f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const pkl = stateDictPickle([
      { name: 'a', numel: 12, offset: 1, size: [2, 2, 2], stride: [6, 1, 3] },
      { name: 'b', numel: 12, offset: 5, size: [3, 2], stride: [0, 2] },
      { name: 'c', numel: 12, offset: 11, size: [], stride: [] },
    ]);
    const sd = readTorchStateDict(ptZip(pkl, { 0: storage }));
    expect([...sd.get('a')!.data]).toEqual([1, 4, 2, 5, 7, 10, 8, 11]);
    expect([...sd.get('b')!.data]).toEqual([5, 7, 5, 7, 5, 7]);
    expect(sd.get('c')!.shape).toEqual([]);
    expect([...sd.get('c')!.data]).toEqual([11]);
  });

  it('reads big-endian storages when the archive says so', () => {
    const be = new Uint8Array([0x3f, 0x80, 0, 0, 0xc0, 0x20, 0, 0]); // 1.0, -2.5
    const sd = readTorchStateDict(ptZip(stateDictPickle([{ numel: 2, size: [2], stride: [1] }]), { 0: be },
      [['archive/byteorder', new TextEncoder().encode('big')]]));
    expect([...sd.get('w')!.data]).toEqual([1, -2.5]);
  });

  it.each([
    ['os', 'system'], ['posix', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen'], ['torch', 'CharStorage'],
    ['torch._utils', '_rebuild_qtensor'],
  ])('refuses %s.%s inside a .pt', (module, name) => {
    const pkl = pk(op.proto, op.emptyDict, op.str('w'), op.global(module, name), op.str('x'), op.tuple1, op.reduce, op.setitem, op.stop);
    expect(() => readTorchStateDict(ptZip(pkl))).toThrowError(new RegExp(`refusing global '${module}\\.${name.replace('.', '\\.')}'`));
  });

  const four = f32Bytes([1, 2, 3, 4]);
  const good = stateDictPickle([{ numel: 4, size: [4], stride: [1] }]);
  const cases: [string, () => Uint8Array, string, RegExp][] = [
    ['bare pickle, not a legacy torch.save', () => pk(op.proto, op.emptyDict, op.stop), 'E_TORCH', /expected a PyTorch zip archive starting with 'PK' or a legacy torch\.save file \(a pickled magic number\), found bytes 80 02 7d 2e/],
    ['not a zip', () => new TextEncoder().encode('hello world'), 'E_TORCH', /expected a PyTorch zip archive starting with 'PK' or a legacy torch\.save file \(a pickled magic number\), found bytes 68 65 6c 6c/],
    ['no end of central directory', () => ptZip(good, { 0: four }).slice(0, -10), 'E_ZIP', /no end-of-central-directory record/],
    ['DEFLATE entry that is not a DEFLATE stream', () => makeZip([['archive/data.pkl', good]], { method: 8 }), 'E_ZIP', /entry 'archive\/data\.pkl' (is not a valid DEFLATE stream|inflates to \d+ bytes, not its declared)/],
    ['bzip2 entry', () => makeZip([['archive/data.pkl', good]], { method: 12 }), 'E_ZIP', /entry 'archive\/data\.pkl' is compressed with method 12; only STORED \(0\) and DEFLATE \(8\)/],
    ['CRC mismatch', () => { const z = ptZip(good, { 0: four }); z[z.indexOf(0x58) + 1]! ^= 1; return z; }, 'E_ZIP', /fails its CRC-32 check/],
    ['no data.pkl', () => makeZip([['archive/version', new Uint8Array([51])]]), 'E_TORCH', /expected exactly one '<folder>\/data\.pkl' entry, found 0 \(entries: archive\/version\)/],
    ['TorchScript archive', () => makeZip([['m/constants.pkl', good], ['m/code/x.py', good]]), 'E_TORCH', /TorchScript archive/],
    ['missing storage entry', () => ptZip(good), 'E_TORCH', /storage '0' refers to a missing entry 'archive\/data\/0'/],
    ['storage size mismatch', () => ptZip(good, { 0: four.subarray(0, 12) }), 'E_TORCH', /storage '0' \(FloatStorage, 4 elements\) needs 16 bytes but the entry holds 12/],
    ['view past the storage', () => ptZip(stateDictPickle([{ numel: 4, offset: 2, size: [2, 2], stride: [2, 1] }]), { 0: four }), 'E_TORCH', /reaches element 5 of a 4-element storage/],
    ['size/stride rank mismatch', () => ptZip(stateDictPickle([{ numel: 4, size: [4], stride: [1, 1] }]), { 0: four }), 'E_TORCH', /size has 1 dims but stride has 2/],
    ['huge expanded view', () => ptZip(stateDictPickle([{ numel: 4, size: [2 ** 20, 2 ** 10], stride: [0, 0] }]), { 0: four }), 'E_TORCH', /over the 67108864-byte limit for expanded views/],
    ['bool storage byte 2', () => ptZip(stateDictPickle([{ storageType: 'BoolStorage', numel: 2, size: [2], stride: [1] }]), { 0: new Uint8Array([1, 2]) }), 'E_TORCH', /BOOL tensor holds byte 2 at element 1/],
    ['bad byteorder', () => ptZip(good, { 0: four }, [['archive/byteorder', new TextEncoder().encode('middle')]]), 'E_TORCH', /byteorder entry must be 'little' or 'big', found "middle"/],
    ['top level not a dict', () => ptZip(pk(op.proto, op.emptyList, op.stop)), 'E_TORCH_KEY', /found no state dict \(a dict of tensors\) in the file: its top level is a list/],
    ['checkpoint wrapping no tensors', () => ptZip(pk(op.proto, op.emptyDict, op.str('model'), op.emptyDict, op.setitem, op.stop)), 'E_TORCH_KEY', /found no state dict \(a dict of tensors\) in the file: its top level is a dict with keys 'model'/],
    ['a dict mixing tensors and other values', () => ptZip(pk(good.subarray(0, -2), op.str('epoch'), op.int(3), op.setitems, op.stop), { 0: four }), 'E_TORCH', /state dict entry 'epoch' is a int, not a tensor/],
    ['non-tensor value only', () => ptZip(pk(op.proto, op.emptyDict, op.str('epoch'), op.int(3), op.setitem, op.stop)), 'E_TORCH_KEY', /found no state dict .* with keys 'epoch'/],
    ['bad persistent id', () => ptZip(pk(op.proto, op.none, op.persid, op.stop)), 'E_TORCH', /expected a persistent id \('storage', type, key, location, numel\), found None/],
  ];
  it.each(cases)('rejects %s', (_, make, code, message) => {
    let err: unknown;
    try {
      readTorchStateDict(make());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InteropError);
    expect({ code: (err as InteropError).code, message: (err as InteropError).message })
      .toEqual({ code, message: expect.stringMatching(message) });
  });
});

describe('readTorchStateDict fuzz', () => {
  const original = fixture('tiny_state_dict.pt');
  const entries = [...readZipEntries(original)].map(([k, v]) => [k, v.slice()] as [string, Uint8Array]);
  const pklIndex = entries.findIndex(([k]) => k.endsWith('/data.pkl'));

  it('2000 seeded mutations of the archive, its pickle and its storages: success or InteropError only', () => {
    const rand = rng(7);
    const int = (n: number) => Math.floor(rand() * n);
    const outcomes = { ok: 0, error: 0 };
    const OPCODES = [0x28, 0x2e, 0x4e, 0x52, 0x51, 0x62, 0x68, 0x71, 0x74, 0x75, 0x73, 0x85, 0x86, 0x87, 0x29, 0x7d, 0x5d, 0x61, 0x65, 0x93, 0x81, 0x8a, 0x4b, 0x4a, 0x58, 0x63];
    for (let i = 0; i < 2000; i++) {
      const kind = i % 5;
      let bytes: Uint8Array;
      if (kind === 0) { // raw archive: truncation or bit flips (the zip layer and its CRCs)
        bytes = original.slice();
        if (rand() < 0.3) bytes = bytes.slice(0, int(bytes.length));
        else for (let k = 1 + int(6); k > 0; k--) { const p = int(bytes.length); bytes[p]! ^= 1 << int(8); }
      } else if (kind === 1) { // flips in the zip structures at the end of the file
        bytes = original.slice();
        const tail = 22 + 23 * 70;
        for (let k = 1 + int(3); k > 0; k--) { const p = bytes.length - 1 - int(tail); bytes[p]! ^= 1 << int(8); }
      } else { // re-zipped with valid CRCs so the pickle and the storages are reached
        const mutated = entries.map(([k, v]) => [k, v.slice()] as [string, Uint8Array]);
        if (kind === 4) {
          const e = mutated[int(mutated.length)]!;
          e[1] = e[1].slice(0, int(e[1].length + 1));
        } else {
          let pkl = mutated[pklIndex]![1];
          for (let k = 1 + int(3); k > 0; k--) {
            const p = int(pkl.length);
            const r = rand();
            if (r < 0.4) pkl[p]! ^= 1 << int(8);
            else if (r < 0.7) pkl[p] = OPCODES[int(OPCODES.length)]!;
            else if (r < 0.85) pkl = pkl.slice(0, p);
            else pkl = new Uint8Array([...pkl.subarray(0, p), ...pkl.subarray(Math.min(pkl.length, p + 1 + int(12)))]);
          }
          mutated[pklIndex]![1] = pkl;
        }
        bytes = makeZip(mutated);
      }
      const outcome = expectOnlyInteropError(() => {
        for (const [, t] of readTorchStateDict(bytes)) expect(t.data.length).toBe(t.shape.reduce((x, y) => x * y, 1));
      }, `mutation ${i} (kind ${kind})`);
      outcomes[outcome]++;
    }
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.error).toBeGreaterThan(1000);
  });
});
