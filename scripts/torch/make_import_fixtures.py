#!/usr/bin/python3
"""Fixtures for the interchange tests (src/interop/map.test.ts, src/interop/import-text.test.ts, src/onnx-import/import-*.test.ts, src/cli/import-*-cli.test.ts), with real PyTorch.

Run from the project root:  /usr/bin/python3 scripts/torch/make_import_fixtures.py
Also a helper the tests call when torch is present (the "live" PyTorch check):
    /usr/bin/python3 scripts/torch/make_import_fixtures.py twin-logits WEIGHTS.safetensors BATCH.json [W B ...]
prints {"logits": [...]} per pair: the twin (config from the file's metadata, float64) after
load_state_dict(strict=True) of the weights, on the batch's ids and lengths.

Everything lands in test/fixtures/import/ (tiny: vocabulary 16, hidden 3–4):

Twin cases  twin-<case>.{pt|safetensors}  the state_dict of twin.HighwayBiLSTMClassifier (PyTorch
            layout and key names, as a user would save it: torch.save or safetensors)
            twin-<case>.json       config, ids/lengths/labels of a ragged batch, SGD learning rate
            twin-<case>.ref.safetensors
                logits      F64 [B, C]  the twin in float64 on the float32 weights
                loss        F64 []      mean cross-entropy (float64 reference)
                grad/<key>  F64         autograd dLoss/d<key> (float64 reference), PyTorch layout
                after/<key> F32         the weights after one torch.optim.SGD step (float32, as trained)
                after_logits F64 [B, C] the twin (float64) on the stepped weights
ONNX cases  onnx-<case>.onnx  torch.onnx.export of a small nn.Module (Embedding, nn.LSTM, Linear);
                               'nofold' is exported with do_constant_folding=False, so its
                               initializers are the torch parameters and Slice/Concat glue
                               reorders the LSTM gates inside the graph
            onnx-<case>.json   opset, inputs, batch, SGD learning rate, initializer names per torch parameter
            onnx-<case>.ref.safetensors
                logits / loss / grad/<initializer> / after_logits: as above, but keyed by the ONNX
                initializer names (LSTM gradients in ONNX layout: gates i,o,f,c, B = [Wb, Rb]); the
                reference runs the module in float32 (what the exported graph computes)
            onnx-gru.onnx      an nn.GRU model: its import must fail naming the GRU op
vocab.json  the 16-token vocabulary used with twin-highway-1-projection
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin import (TORCH_TO_ONNX_GATES, HighwayBiLSTMClassifier, _permute_gates,  # noqa: E402
                  load_safetensors, save_safetensors)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'import')

V = 16
B, T = 4, 7
LENGTHS = [5, 1, 7, 3]
LR = 0.5
VOCAB = ['<pad>', '<unk>', 'good', 'bad', 'movie', 'film', 'great', 'awful', 'plot', 'acting', 'not', 'very',
         'fun', 'dull', 'a', 'the']

TWIN_CASES = {
    # name: (config, seed, weights format)
    'highway-1-projection': ({'kind': 'highway', 'layers': 1, 'embedDim': 5, 'hidden': 3, 'classes': 2, 'carry': 'projection'}, 21, 'pt'),
    'highway-2-zero-pad': ({'kind': 'highway', 'layers': 2, 'embedDim': 5, 'hidden': 3, 'classes': 3, 'carry': 'zero-pad'}, 22, 'safetensors'),
    'highway-3-identity': ({'kind': 'highway', 'layers': 3, 'embedDim': 6, 'hidden': 3, 'classes': 2, 'carry': 'identity'}, 23, 'pt'),
    'plain-1': ({'kind': 'plain', 'layers': 1, 'embedDim': 5, 'hidden': 3, 'classes': 2, 'carry': 'projection'}, 24, 'safetensors'),
    'plain-2': ({'kind': 'plain', 'layers': 2, 'embedDim': 5, 'hidden': 4, 'classes': 3, 'carry': 'projection'}, 25, 'pt'),
    'plain-3': ({'kind': 'plain', 'layers': 3, 'embedDim': 4, 'hidden': 3, 'classes': 2, 'carry': 'projection'}, 26, 'safetensors'),
}


def full_config(partial):
    c = {'version': 1, 'vocabSize': V, 'dropout': 0.0, 'gateBias': -1.0, 'gatesOutput': True, 'seed': 1}
    c.update(partial)
    c['labels'] = ['negative', 'positive'] if c['classes'] == 2 else [f'class{i}' for i in range(c['classes'])]
    return c


def ragged_batch(gen, classes):
    ids = torch.zeros(B, T, dtype=torch.int64)
    for b, n in enumerate(LENGTHS):
        ids[b, :n] = torch.randint(2, V, (n,), generator=gen)
    labels = torch.randint(0, classes, (B,), generator=gen)
    return ids, torch.tensor(LENGTHS, dtype=torch.int64), labels


def perturb(module, gen, scale=0.4):
    """Weights a bit larger than torch's init, so gates saturate unevenly and every path matters."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * scale)


def sgd_step(module, loss):
    opt = torch.optim.SGD(module.parameters(), lr=LR)
    opt.zero_grad()
    loss.backward()
    grads = {k: p.grad.detach().clone() for k, p in module.named_parameters()}
    opt.step()
    return grads


def make_twin(name, partial, seed, fmt):
    cfg = full_config(partial)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    m = HighwayBiLSTMClassifier(cfg)
    perturb(m, gen)
    ids, lengths, labels = ragged_batch(gen, cfg['classes'])
    sd = {k: v.detach().clone() for k, v in m.state_dict().items()}
    weights = os.path.join(OUT, f'twin-{name}.{fmt}')
    if fmt == 'pt':
        torch.save(m.state_dict(), weights)
    else:
        save_safetensors(weights, {k: v.numpy() for k, v in sd.items()}, {'format': 'pt'})

    # float64 reference on the float32 weights
    m64 = HighwayBiLSTMClassifier(cfg).double()
    m64.load_state_dict({k: v.double() for k, v in sd.items()})
    logits64 = m64(ids, lengths)
    loss64 = nn.functional.cross_entropy(logits64, labels)
    m64.zero_grad()
    loss64.backward()
    grads64 = {k: p.grad.detach().numpy() for k, p in m64.named_parameters()}

    # one SGD step in float32, as a user's fine-tuning would run
    m.train()
    loss32 = nn.functional.cross_entropy(m(ids, lengths), labels)
    sgd_step(m, loss32)
    after = {k: v.detach().clone() for k, v in m.state_dict().items()}
    m64.load_state_dict({k: v.double() for k, v in after.items()})
    with torch.no_grad():
        after_logits = m64(ids, lengths)

    ref = {'logits': logits64.detach().numpy(), 'loss': np.array(loss64.item()), 'after_logits': after_logits.numpy()}
    ref.update({f'grad/{k}': v for k, v in grads64.items()})
    ref.update({f'after/{k}': v.numpy() for k, v in after.items()})
    save_safetensors(os.path.join(OUT, f'twin-{name}.ref.safetensors'), ref)
    meta = {'case': name, 'config': cfg, 'weights': os.path.basename(weights), 'batch': B, 'time': T,
            'ids': ids.tolist(), 'lengths': LENGTHS, 'labels': labels.tolist(), 'lr': LR,
            'keys': list(sd.keys()), 'torch': torch.__version__,
            'reference': 'twin in float64 on the float32 weights; after/* from one float32 torch.optim.SGD step'}
    with open(os.path.join(OUT, f'twin-{name}.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')


# --------------------------------------------------------------------------- torch.onnx.export cases

class BiMax(nn.Module):
    """Embedding → bidirectional 2-layer LSTM (batch_first) → max over time → tanh → Linear."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 5)
        self.lstm = nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, ids):
        y, _ = self.lstm(self.emb(ids))
        return self.fc(torch.tanh(y.max(dim=1).values))


class UniLast(nn.Module):
    """Embedding → unidirectional 2-layer LSTM (time-major inside) → last layer's h_n → Linear."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 5)
        self.lstm = nn.LSTM(5, 4, num_layers=2)
        self.fc = nn.Linear(4, 2)

    def forward(self, ids):
        _, (h, _) = self.lstm(self.emb(ids.t()))
        return self.fc(h[-1])


class BiPacked(nn.Module):
    """Ragged batches: pack_padded_sequence (unsorted) → bidirectional 2-layer LSTM → final states
    of both directions → Linear; outputs logits and probs."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 5, padding_idx=0)
        self.lstm = nn.LSTM(5, 3, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(6, 3)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        logits = self.fc(torch.cat([h[-2], h[-1]], dim=1))
        return logits, torch.softmax(logits, dim=1)


class Gru(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 4)
        self.gru = nn.GRU(4, 3, batch_first=True)
        self.fc = nn.Linear(3, 2)

    def forward(self, ids):
        _, h = self.gru(self.emb(ids))
        return self.fc(h[-1])


ONNX_CASES = {
    # name: (module class, opset, seed, takes lengths, extra torch.onnx.export arguments)
    'bilstm2-max': (BiMax, 13, 31, False, {}),
    'bilstm2-nofold': (BiMax, 14, 34, False, {'do_constant_folding': False}),
    'unilstm2-last': (UniLast, 15, 32, False, {}),
    'bilstm2-packed': (BiPacked, 17, 33, True, {}),
}


def lstm_initializers(model_proto):
    """Per LSTM node, in graph order: (W, R, B) initializer names."""
    inits = {t.name for t in model_proto.graph.initializer}
    out = []
    for n in model_proto.graph.node:
        if n.op_type == 'LSTM':
            names = list(n.input[1:4])
            assert all(x in inits for x in names), names
            out.append(names)
    return out


def onnx_grads(module, model_proto, grads):
    """Autograd gradients (torch names/layout) → ONNX initializer names/layout."""
    inits = {t.name for t in model_proto.graph.initializer}
    if 'lstm.weight_ih_l0' in inits:
        # Exported without constant folding: the torch parameters themselves are the
        # initializers, and the graph reorders their gates with Slice/Concat glue.
        out = {k: g.numpy() for k, g in grads.items()}
        return out, {k: [k] for k in grads}
    out = {}
    mapping = {}
    lstm = module.lstm
    layers = lstm_initializers(model_proto)
    assert len(layers) == lstm.num_layers
    suffixes = ['', '_reverse'] if lstm.bidirectional else ['']
    for k, (w, r, b) in enumerate(layers):
        def g(kind, s):
            return _permute_gates(grads[f'lstm.{kind}_l{k}{s}'].numpy(), TORCH_TO_ONNX_GATES)
        out[w] = np.stack([g('weight_ih', s) for s in suffixes])
        out[r] = np.stack([g('weight_hh', s) for s in suffixes])
        out[b] = np.stack([np.concatenate([g('bias_ih', s), g('bias_hh', s)]) for s in suffixes])
        for kind, name in (('weight_ih', w), ('weight_hh', r), ('bias_ih', b), ('bias_hh', b)):
            mapping.setdefault(name, []).extend(f'lstm.{kind}_l{k}{s}' for s in suffixes)
    for key, grad in grads.items():
        if key.startswith('lstm.'):
            continue
        assert key in inits, f'{key} is not an initializer of the exported model'
        out[key] = grad.numpy()
        mapping[key] = [key]
    missing = inits - set(out)
    floats = {t.name for t in model_proto.graph.initializer if t.data_type == 1 and np.prod(t.dims) > 1}
    assert not (missing & floats), f'unmapped float initializers: {missing & floats}'
    return out, mapping


def make_onnx(name, cls, opset, seed, with_lengths, export_args):
    import onnx
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    m = cls()
    perturb(m, gen)
    m.eval()
    classes = m.fc.out_features
    ids, lengths, labels = ragged_batch(gen, classes)
    args = (ids, lengths) if with_lengths else (ids,)
    input_names = ['ids', 'lengths'] if with_lengths else ['ids']
    output_names = ['logits', 'probs'] if cls is BiPacked else ['logits']
    dynamic = {'ids': {0: 'batch', 1: 'time'}, 'logits': {0: 'batch'}}
    if with_lengths:
        dynamic['lengths'] = {0: 'batch'}
    if cls is BiPacked:
        dynamic['probs'] = {0: 'batch'}
    path = os.path.join(OUT, f'onnx-{name}.onnx')
    torch.onnx.export(m, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic, opset_version=opset, **export_args)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)

    out = m(*args)
    logits = out[0] if isinstance(out, tuple) else out
    loss = nn.functional.cross_entropy(logits, labels)
    grads = sgd_step(m, loss)
    with torch.no_grad():
        after = m(*args)
        after = after[0] if isinstance(after, tuple) else after
    g_onnx, mapping = onnx_grads(m, proto, grads)
    ref = {'logits': logits.detach().numpy(), 'loss': np.array(loss.item(), dtype=np.float32),
           'after_logits': after.numpy()}
    ref.update({f'grad/{k}': v for k, v in g_onnx.items()})
    save_safetensors(os.path.join(OUT, f'onnx-{name}.ref.safetensors'), ref)
    meta = {'case': name, 'model': os.path.basename(path), 'opset': opset, 'inputs': input_names,
            'outputs': output_names, 'classes': classes, 'batch': B, 'time': T, 'ids': ids.tolist(),
            'lengths': LENGTHS, 'labels': labels.tolist(), 'lr': LR, 'initializers': mapping,
            'ops': sorted({n.op_type for n in proto.graph.node}), 'torch': torch.__version__,
            'reference': 'the module in float32 (eval mode); grads by autograd mapped to ONNX initializers; '
                         'after_logits after one torch.optim.SGD step'}
    with open(os.path.join(OUT, f'onnx-{name}.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')


def make_gru():
    torch.manual_seed(41)
    m = Gru().eval()
    ids = torch.randint(1, V, (2, 3))
    torch.onnx.export(m, (ids,), os.path.join(OUT, 'onnx-gru.onnx'), input_names=['ids'], output_names=['logits'],
                      dynamic_axes={'ids': {0: 'batch', 1: 'time'}}, opset_version=14)


# --------------------------------------------------------------------------- live helper for the tests

def twin_logits(weights, batch_json):
    """Load exported weights (safetensors with our config in its metadata) into the twin; print logits."""
    print(json.dumps(_twin_logits(weights, batch_json)))


def _twin_logits(weights, batch_json):
    tensors, metadata = load_safetensors(weights)
    cfg = json.loads(metadata['highway_onnx.config'])
    with open(batch_json) as f:
        batch = json.load(f)
    m = HighwayBiLSTMClassifier(cfg).double()
    m.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in tensors.items()}, strict=True)
    m.eval()
    with torch.no_grad():
        logits = m(torch.tensor(batch['ids'], dtype=torch.int64), torch.tensor(batch['lengths'], dtype=torch.int64))
    return {'logits': logits.reshape(-1).tolist(), 'keys': list(tensors.keys())}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'twin-logits':
        args = sys.argv[2:]  # WEIGHTS BATCH [WEIGHTS BATCH ...]: one JSON line each (torch imports once)
        for i in range(0, len(args) - 1, 2):
            twin_logits(args[i], args[i + 1])
        return
    import warnings
    warnings.filterwarnings('ignore')
    os.makedirs(OUT, exist_ok=True)
    for name, (partial, seed, fmt) in TWIN_CASES.items():
        make_twin(name, partial, seed, fmt)
    for name, (cls, opset, seed, with_lengths, export_args) in ONNX_CASES.items():
        make_onnx(name, cls, opset, seed, with_lengths, export_args)
    make_gru()
    with open(os.path.join(OUT, 'vocab.json'), 'w') as f:
        json.dump(VOCAB, f)
        f.write('\n')
    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f'{name:45s} {size:7d}')
    print(f'{"total":45s} {total:7d}')


if __name__ == '__main__':
    main()
