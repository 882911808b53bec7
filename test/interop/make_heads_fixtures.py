#!/usr/bin/python3
"""Fixtures for src/onnx-import/import-heads.test.ts: the classifier heads people write, exported
with torch.onnx.export (Debian's python3-torch 1.13), and PyTorch's own numbers to check them.

Run from the project root:  /usr/bin/python3 test/interop/make_heads_fixtures.py

Every model is exported at batch 3 (time 6), as users do, and checked at other batch sizes and
lengths: each case's JSON holds, per batch, the ids, lengths, labels, the module's float32
logits and autograd gradients (mean cross-entropy) of the parameters whose names survive the
export (embedding and linear head). Files land in test/fixtures/import/heads/:
  <case>.onnx   the export (opset 17, dynamic batch and time axes)
  <case>.json   {case, inputs, export_batch, batches: [{ids, lengths, labels, logits, grads}]}
Cases:
  last-step      batch-first BiLSTM, out[:, -1, :] (Gather of index -1 on the symbolic time axis)
  hn-last        h_n[-1] of a 2-layer BiLSTM (the last layer's backward final state)
  hn-cat         both directions' final states of the last layer, concatenated
  mean-valid     packed BiLSTM, pad_packed_sequence, mean over the valid steps only
  packed-sorted  pack_padded_sequence(enforce_sorted=True): final states, lengths sorted
  h0-input       h0 and c0 as model inputs (the form torch's export warning recommends);
                 the reference feeds zeros
  pad-read       Embedding(padding_idx=0), no lengths input: the LSTM reads the padding, and
                 torch's gradient of the pad row is zero (fine-tuning must keep it fixed)
  static-batch.onnx  last-step exported without dynamic_axes (batch 3, time 6 fixed): only the
                 model, which import-onnx must refuse with the re-export recipe
"""
import json
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'import', 'heads')
V, E, H, C = 16, 5, 3, 3
EXPORT_B, EXPORT_T = 3, 6


class Base(nn.Module):
    def __init__(self, layers=1, out=2 * H):
        super().__init__()
        self.emb = nn.Embedding(V, E, padding_idx=0)
        self.lstm = nn.LSTM(E, H, num_layers=layers, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(out, C)


class LastStep(Base):
    def forward(self, ids):
        y, _ = self.lstm(self.emb(ids))
        return self.fc(y[:, -1, :])


class HnLast(Base):
    def __init__(self):
        super().__init__(layers=2, out=H)

    def forward(self, ids):
        _, (h, _) = self.lstm(self.emb(ids))
        return self.fc(h[-1])


class HnCat(Base):
    def forward(self, ids):
        _, (h, _) = self.lstm(self.emb(ids))
        return self.fc(torch.cat([h[-2], h[-1]], dim=1))


class MeanValid(Base):
    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
        y, _ = self.lstm(packed)
        y, _ = pad_packed_sequence(y, batch_first=True, total_length=ids.size(1))
        mask = (torch.arange(ids.size(1))[None, :] < lengths[:, None]).to(y.dtype)
        mean = (y * mask[:, :, None]).sum(dim=1) / lengths[:, None].to(y.dtype)
        return self.fc(mean)


class PackedSorted(Base):
    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.emb(ids), lengths, batch_first=True, enforce_sorted=True)
        _, (h, _) = self.lstm(packed)
        return self.fc(torch.cat([h[-2], h[-1]], dim=1))


class PadRead(Base):
    def forward(self, ids):
        y, _ = self.lstm(self.emb(ids))
        return self.fc(torch.tanh(y.max(dim=1).values))


class H0Input(Base):
    def forward(self, ids, h0, c0):
        y, _ = self.lstm(self.emb(ids), (h0, c0))
        return self.fc(torch.tanh(y.max(dim=1).values))


CASES = {
    # name: (class, seed, inputs, sorted lengths)
    'last-step': (LastStep, 51, ['ids'], False),
    'hn-last': (HnLast, 52, ['ids'], False),
    'hn-cat': (HnCat, 53, ['ids'], False),
    'mean-valid': (MeanValid, 54, ['ids', 'lengths'], False),
    'packed-sorted': (PackedSorted, 55, ['ids', 'lengths'], True),
    'h0-input': (H0Input, 56, ['ids', 'h0', 'c0'], False),
    'pad-read': (PadRead, 57, ['ids'], False),
}
# Models whose batches keep their padding though they take no lengths input.
PADDED = {'pad-read'}

# (batch, time, lengths): the export batch first, then others
BATCHES = [(3, 6, [6, 2, 4]), (5, 6, [3, 6, 1, 5, 2]), (1, 4, [4]), (8, 5, [5, 1, 2, 5, 3, 4, 1, 5])]


def batch(gen, b, t, lengths, sort, uses_lengths, padded=False):
    if sort:
        lengths = sorted(lengths, reverse=True)
    if not uses_lengths and not padded:
        lengths = [t] * b  # models without a lengths input read every step
    ids = torch.zeros(b, t, dtype=torch.int64)
    for i, n in enumerate(lengths):
        ids[i, :n] = torch.randint(2, V, (n,), generator=gen)
    labels = torch.randint(0, C, (b,), generator=gen)
    return ids, torch.tensor(lengths, dtype=torch.int64), labels


def args_of(m, inputs, ids, lengths):
    if inputs == ['ids']:
        return (ids,)
    if inputs == ['ids', 'lengths']:
        return (ids, lengths)
    d = m.lstm.num_layers * 2
    return (ids, torch.zeros(d, ids.size(0), H), torch.zeros(d, ids.size(0), H))


def make(name, cls, seed, inputs, sort):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    m = cls()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.3)
        m.emb.weight[0].zero_()
    m.eval()
    uses_lengths = 'lengths' in inputs
    padded = name in PADDED
    ids, lengths, _ = batch(gen, EXPORT_B, EXPORT_T, BATCHES[0][2], sort, uses_lengths, padded)
    dynamic = {'ids': {0: 'batch', 1: 'time'}, 'logits': {0: 'batch'}}
    if uses_lengths:
        dynamic['lengths'] = {0: 'batch'}
    if 'h0' in inputs:
        dynamic['h0'] = {1: 'batch'}
        dynamic['c0'] = {1: 'batch'}
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(m, args_of(m, inputs, ids, lengths), path, input_names=inputs, output_names=['logits'],
                      dynamic_axes=dynamic, opset_version=17)
    records = []
    for b, t, lens in BATCHES:
        ids, lengths, labels = batch(gen, b, t, lens, sort, uses_lengths, padded)
        m.zero_grad()
        logits = m(*args_of(m, inputs, ids, lengths))
        nn.functional.cross_entropy(logits, labels).backward()
        grads = {k: p.grad.reshape(-1).tolist() for k, p in m.named_parameters() if not k.startswith('lstm.')}
        records.append({'ids': ids.tolist(), 'lengths': lengths.tolist(), 'labels': labels.tolist(),
                        'logits': logits.detach().reshape(-1).tolist(), 'grads': grads})
    meta = {'case': name, 'model': f'{name}.onnx', 'inputs': inputs, 'export_batch': EXPORT_B, 'classes': C,
            'torch': torch.__version__, 'batches': records,
            'reference': 'the module in float32 (eval mode); grads by autograd of the mean cross-entropy'}
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(meta, f)
        f.write('\n')


def make_static():
    torch.manual_seed(58)
    m = LastStep().eval()
    ids = torch.randint(2, V, (EXPORT_B, EXPORT_T))
    torch.onnx.export(m, (ids,), os.path.join(OUT, 'static-batch.onnx'), input_names=['ids'], output_names=['logits'],
                      opset_version=17)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (cls, seed, inputs, sort) in CASES.items():
        make(name, cls, seed, inputs, sort)
        print('wrote', name)
    make_static()
    print('wrote static-batch')


if __name__ == '__main__':
    main()
