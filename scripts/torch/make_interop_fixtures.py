#!/usr/bin/python3
"""Writes the interop test fixtures under test/fixtures/interop/ with real PyTorch.

Run from the project root:  /usr/bin/python3 scripts/torch/make_interop_fixtures.py

Outputs (all tiny, deterministic):
  tiny_state_dict.pt           torch.save(state_dict) of Embedding + BiLSTM + Linear, plus
                               extra tensors: float64, int64 (incl. > 2**53), int32, uint8,
                               bool, float16, bfloat16, a 0-d tensor, an empty tensor, a
                               transposed view and a sliced view (shared storage, non-zero
                               storage offset, non-contiguous strides) and an nn.Parameter
  tiny_state_dict.safetensors  the same tensors (made contiguous) written by the hand-written
                               writer below (python3-safetensors is not packaged in Debian 12)
  tiny_state_dict.expected.json  {name: {dtype, shape, values}} with values flattened in
                               row-major order; int64 as decimal strings (exact), float16 and
                               bfloat16 as their raw uint16 bit patterns in "bits"
  malicious_os_system.pt       a torch-style zip whose data.pkl calls os.system; it is built
                               by hand with pickle opcodes and is never loaded
"""
import collections
import io
import json
import os
import struct
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'interop')

DTYPES = {
    torch.float32: ('F32', 4), torch.float64: ('F64', 8), torch.float16: ('F16', 2),
    torch.bfloat16: ('BF16', 2), torch.int64: ('I64', 8), torch.int32: ('I32', 4),
    torch.uint8: ('U8', 1), torch.bool: ('BOOL', 1),
}


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(7, 4, padding_idx=0)
        self.lstm = torch.nn.LSTM(4, 3, bidirectional=True)
        self.out = torch.nn.Linear(6, 2)


def build_state_dict():
    torch.manual_seed(1234)
    model = Tiny()
    sd = model.state_dict()  # an OrderedDict carrying a _metadata attribute
    sd['extra.f64'] = torch.linspace(-1.5, 2.25, 6, dtype=torch.float64).reshape(2, 3) / 3
    sd['extra.i64'] = torch.tensor([[0, -1, 2**53 + 1], [-(2**62) - 7, 42, 9]], dtype=torch.int64)
    sd['extra.i32'] = torch.tensor([-(2**31), 2**31 - 1, 5], dtype=torch.int32)
    sd['extra.u8'] = torch.tensor([0, 1, 200, 255], dtype=torch.uint8)
    sd['extra.bool'] = torch.tensor([[True, False], [False, True]])
    sd['extra.f16'] = torch.tensor([0.0, -2.5, 65504.0, 1e-7, float('inf')], dtype=torch.float16)
    sd['extra.bf16'] = torch.tensor([1.0, -3.140625, 1e30, float('-inf')], dtype=torch.bfloat16)
    sd['extra.scalar'] = torch.tensor(3.5)
    sd['extra.empty'] = torch.zeros(0, 3)
    # views keep their storage, offset and strides when saved
    sd['extra.transposed'] = sd['out.weight'].t()  # shares storage with out.weight, strides (1, 6)
    sd['extra.sliced'] = sd['lstm.weight_ih_l0'][3:9:2, 1:]  # offset 13, strides (8, 1)
    sd['extra.param'] = torch.nn.Parameter(torch.arange(6, dtype=torch.float32).reshape(3, 2) * 0.5)
    assert not sd['extra.transposed'].is_contiguous()
    assert not sd['extra.sliced'].is_contiguous() and sd['extra.sliced'].storage_offset() == 13
    return sd


def expected_entry(t):
    t = t.detach()
    name, _ = DTYPES[t.dtype]
    flat = t.contiguous().reshape(-1)
    entry = {'dtype': name, 'shape': list(t.shape)}
    if t.dtype == torch.int64:
        entry['values'] = [str(int(v)) for v in flat.tolist()]
    elif t.dtype in (torch.float16, torch.bfloat16):
        entry['bits'] = [int(v) & 0xFFFF for v in flat.view(torch.int16).tolist()]
        entry['values'] = [json_float(v) for v in flat.float().tolist()]
    elif t.dtype == torch.bool:
        entry['values'] = [bool(v) for v in flat.tolist()]
    elif t.is_floating_point():
        entry['values'] = [json_float(v) for v in flat.tolist()]
    else:
        entry['values'] = [int(v) for v in flat.tolist()]
    return entry


def json_float(v):
    if v != v:
        return 'NaN'
    if v in (float('inf'), float('-inf')):
        return 'Infinity' if v > 0 else '-Infinity'
    return v


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)
    elif t.dtype == torch.bool:
        t = t.to(torch.uint8)
    # numpy-free: go through a byte view of the storage (host is little-endian x86/arm)
    return bytes(t.reshape(-1).view(torch.uint8).tolist()) if t.numel() else b''


def write_safetensors(path, tensors, metadata):
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        dtype, _ = DTYPES[t.dtype]
        data = tensor_bytes(t)
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def write_malicious(path):
    # protocol 2 pickle equivalent to os.system('echo pwned'), written opcode by opcode
    cmd = b'echo pwned'
    pkl = (b'\x80\x02' + b'cos\nsystem\n' + b'X' + struct.pack('<I', len(cmd)) + cmd
           + b'\x85' + b'R' + b'.')
    with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_STORED) as z:
        for name, data in (('malicious_os_system/data.pkl', pkl), ('malicious_os_system/version', b'3\n')):
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = build_state_dict()
    torch.save(sd, os.path.join(OUT, 'tiny_state_dict.pt'))
    # sanity: torch reads back what it wrote
    back = torch.load(os.path.join(OUT, 'tiny_state_dict.pt'))
    for k in sd:
        assert torch.equal(back[k], sd[k].detach()), k
    expected = collections.OrderedDict((k, expected_entry(v)) for k, v in sd.items())
    with open(os.path.join(OUT, 'tiny_state_dict.expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    write_safetensors(os.path.join(OUT, 'tiny_state_dict.safetensors'),
                      {k: v.detach() for k, v in sd.items()},
                      {'format': 'pt', 'source': 'make_interop_fixtures.py'})
    write_malicious(os.path.join(OUT, 'malicious_os_system.pt'))
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == '__main__':
    main()
