#!/usr/bin/python3
"""Writes the PyTorch reference fixtures under test/fixtures/torch/ (the twin: twin.py).

Run from the project root:  /usr/bin/python3 scripts/torch/make_grad_fixtures.py

Per case <name>:
  <name>.json         {config (our ModelConfig, dropout 0), batch, time, lengths, notes,
                       torch version, float32 twin's max deviation from the float64 reference}
  <name>.safetensors  inputs and references, every parameter in OUR layout and names:
      param/<name>   F32  the weights (deterministic random, seeded per case)
      ids            I64  [B, T], 0 = padding (padding also sits in the ids, rows are ragged)
      lengths        I32  [B]  (includes 1 and T, unsorted: pack_padded_sequence(enforce_sorted=False))
      labels         I64  [B]
      logits, probs  F64  [B, C]
      gates          F64  [B, L, T] (highway only): per layer, the transform gate averaged over 2H
      loss           F64  []  mean softmax cross-entropy
      grad/<name>    F64  dLoss/d<name> by autograd, converted back to our layout

The reference runs the twin in float64 on the float32 weights (widened exactly), so it is
the exact value our float32 graph approximates; the JSON records how far the twin itself
lands from it when run in float32 (the float32 noise floor). Before writing, every case is
also checked against a direct numpy implementation of the ONNX-layout math (gate order
i, o, f, c, no conversion): that pins the twin and the layout conversion independently of
our TypeScript graph. Dropout is off (p = 0).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin import HighwayBiLSTMClassifier, onnx_to_torch, param_order, save_safetensors, torch_to_onnx  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'torch')

BASE = {'version': 1, 'vocabSize': 20, 'embedDim': 6, 'hidden': 4, 'dropout': 0.0, 'gateBias': -1.0,
        'gatesOutput': True}
# name: (config overrides, seed)
CASES = {
    'plain-1': ({'kind': 'plain', 'layers': 1, 'classes': 2, 'carry': 'projection'}, 11),
    'plain-3': ({'kind': 'plain', 'layers': 3, 'classes': 3, 'carry': 'projection'}, 12),
    'highway-1-projection': ({'kind': 'highway', 'layers': 1, 'classes': 2, 'carry': 'projection'}, 13),
    'highway-2-zero-pad': ({'kind': 'highway', 'layers': 2, 'classes': 3, 'carry': 'zero-pad'}, 14),
    'highway-3-identity': ({'kind': 'highway', 'layers': 3, 'classes': 2, 'carry': 'identity', 'embedDim': 8}, 15),
    'highway-3-projection': ({'kind': 'highway', 'layers': 3, 'classes': 3, 'carry': 'projection'}, 16),
}
B, T = 4, 7
LENGTHS = [5, 1, 7, 3]  # includes 1 and T, unsorted


def labels_for(classes):
    return ['negative', 'positive'] if classes == 2 else [f'class{i}' for i in range(classes)]


def shapes(cfg):
    """Our parameter shapes (paramSpecs in src/models/init.ts), in graph order."""
    V, E, H, C = cfg['vocabSize'], cfg['embedDim'], cfg['hidden'], cfg['classes']
    out = {}
    for name in param_order(cfg):
        if name == 'embedding.weight':
            out[name] = [V, E]
        elif name == 'output.weight':
            out[name] = [2 * H, C]
        elif name == 'output.bias':
            out[name] = [C]
        else:
            layer, rest = name.split('.', 1)
            In = E if layer == 'layer1' else 2 * H
            out[name] = {
                'bilstm.W': [2, 4 * H, In], 'bilstm.R': [2, 4 * H, H], 'bilstm.B': [2, 8 * H],
                'gate.weight': [In, 2 * H], 'gate.bias': [2 * H], 'carry.weight': [In, 2 * H], 'carry.bias': [2 * H],
            }[rest]
    return out


def random_params(cfg, rng):
    """Weights a bit larger than the init's, so gates saturate unevenly and every path matters."""
    params = {}
    for name, shape in shapes(cfg).items():
        if name == 'embedding.weight':
            a = rng.normal(0, 0.5, shape)  # row 0 (padding) random too: padding must not leak
        elif name.endswith('gate.bias'):
            a = cfg['gateBias'] + rng.uniform(-0.5, 0.5, shape)
        else:
            a = rng.uniform(-0.6, 0.6, shape)
        params[name] = a.astype(np.float32)
    return params


# --------------------------------------------------------------------------- numpy, ONNX layout

def _sig(x):
    return 1 / (1 + np.exp(-x))


def np_lstm_bidirectional(x, lengths, W, R, Bias):
    """The ONNX LSTM (i, o, f, c; B = [Wb, Rb]; sequence_lens) in float64 → Y [T, B, 2H]."""
    Tn, Bn, _ = x.shape
    H = R.shape[2]
    y = np.zeros((Tn, Bn, 2 * H))
    for d in range(2):
        for b in range(Bn):
            h = np.zeros(H)
            c = np.zeros(H)
            steps = range(lengths[b]) if d == 0 else range(lengths[b] - 1, -1, -1)
            for t in steps:
                z = W[d] @ x[t, b] + R[d] @ h + Bias[d, :4 * H] + Bias[d, 4 * H:]
                i, o, f, g = _sig(z[:H]), _sig(z[H:2 * H]), _sig(z[2 * H:3 * H]), np.tanh(z[3 * H:])
                c = f * c + i * g
                h = o * np.tanh(c)
                y[t, b, d * H:(d + 1) * H] = h
    return y


def np_logits(cfg, p, ids, lengths):
    p = {k: v.astype(np.float64) for k, v in p.items()}
    H = cfg['hidden']
    x = p['embedding.weight'][ids.T]  # [T, B, E]
    for k in range(1, cfg['layers'] + 1):
        h = np_lstm_bidirectional(x, lengths, p[f'layer{k}.bilstm.W'], p[f'layer{k}.bilstm.R'], p[f'layer{k}.bilstm.B'])
        if cfg['kind'] == 'plain':
            x = h
            continue
        t = _sig(x @ p[f'layer{k}.gate.weight'] + p[f'layer{k}.gate.bias'])
        mode = cfg['carry'] if k == 1 else 'identity'
        if mode == 'identity':
            c = x
        elif mode == 'projection':
            c = x @ p[f'layer{k}.carry.weight'] + p[f'layer{k}.carry.bias']
        else:
            c = np.concatenate([x, np.zeros(x.shape[:2] + (2 * H - x.shape[2],))], axis=2)
        x = h * t + c * (1 - t)
    pooled = np.stack([np.tanh(x[:lengths[b], b]).max(axis=0) for b in range(x.shape[1])])
    # Smallest gap between the winning step and the runner-up: a near-tie could flip the
    # max-pool's argmax under float32 rounding and route the gradient elsewhere.
    gaps = [np.min(np.diff(np.sort(np.tanh(x[:lengths[b], b]), axis=0)[-2:], axis=0))
            for b in range(x.shape[1]) if lengths[b] > 1]
    return np.tanh(pooled) @ p['output.weight'] + p['output.bias'], float(min(gaps))


# --------------------------------------------------------------------------- the fixtures

def run_twin(cfg, params, ids, lengths, labels, dtype):
    model = HighwayBiLSTMClassifier(cfg).to(dtype)
    model.load_state_dict({k: v.to(dtype) for k, v in onnx_to_torch(params).items()})
    model.eval()  # dropout is 0 anyway
    logits, gates = model(torch.from_numpy(ids), torch.from_numpy(lengths), return_gates=True)
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels), reduction='mean')
    model.zero_grad()
    loss.backward()
    grads = torch_to_onnx({k: v.grad for k, v in model.named_parameters()})
    return {
        'logits': logits.detach().numpy(), 'probs': torch.softmax(logits, -1).detach().numpy(),
        'loss': loss.detach().numpy(), 'gates': None if gates is None else gates.detach().numpy(), 'grads': grads,
    }


def max_rel(a, b):
    return float(np.max(np.abs(a.astype(np.float64) - b)) / max(1.0, float(np.max(np.abs(b)))))


def make_case(name, overrides, seed):
    cfg = dict(BASE, **overrides)
    cfg['labels'] = labels_for(cfg['classes'])
    rng = np.random.default_rng(seed)
    params = random_params(cfg, rng)
    lengths = np.array(LENGTHS, dtype=np.int32)
    ids = np.zeros((B, T), dtype=np.int64)
    for b, n in enumerate(LENGTHS):
        ids[b, :n] = rng.integers(1, cfg['vocabSize'], n)  # 1 = unknown is a valid token
    labels = rng.integers(0, cfg['classes'], B).astype(np.int64)

    ref = run_twin(cfg, params, ids, lengths, labels, torch.float64)
    f32 = run_twin(cfg, params, ids, lengths, labels, torch.float32)
    direct, gap = np_logits(cfg, params, ids, lengths)
    err_direct = float(np.max(np.abs(direct - ref['logits'])))
    assert err_direct < 1e-12, f'{name}: twin vs numpy ONNX-layout math: {err_direct}'
    assert sorted(ref['grads']) == sorted(params), (sorted(ref['grads']), sorted(params))
    assert gap > 1e-5, f'{name}: max-pool near-tie (gap {gap:.1e}): pick another seed'

    tensors = {f'param/{k}': v for k, v in params.items()}
    tensors.update({'ids': ids, 'lengths': lengths, 'labels': labels, 'logits': ref['logits'],
                    'probs': ref['probs'], 'loss': ref['loss'].reshape(())})
    if ref['gates'] is not None:
        tensors['gates'] = ref['gates']
    tensors.update({f'grad/{k}': v.astype(np.float64) for k, v in ref['grads'].items()})
    save_safetensors(os.path.join(OUT, f'{name}.safetensors'), tensors,
                     {'source': 'scripts/torch/make_grad_fixtures.py', 'case': name})

    float32_floor = {'logits': max_rel(f32['logits'], ref['logits']), 'loss': max_rel(f32['loss'], ref['loss'])}
    float32_floor.update({f'grad/{k}': max_rel(f32['grads'][k], ref['grads'][k]) for k in params})
    meta = {
        'case': name,
        'config': cfg,
        'batch': B, 'time': T, 'lengths': LENGTHS, 'labels': labels.tolist(),
        'params': param_order(cfg),
        'torch': torch.__version__,
        'reference': 'twin in float64 on the float32 weights; autograd gradients of the mean cross-entropy',
        'float32TwinMaxRelDiff': float32_floor,
        'loss': float(ref['loss']),
        'maxPoolMinGap': gap,
    }
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    worst = max(float32_floor.items(), key=lambda kv: kv[1])
    print(f'{name}: loss {float(ref["loss"]):.6f}, twin vs numpy {err_direct:.1e}, max-pool gap {gap:.1e}, '
          f'float32 twin worst {worst[0]} {worst[1]:.1e}')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    for name, (overrides, seed) in CASES.items():
        make_case(name, overrides, seed)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f'{len(CASES)} cases, {total} bytes in {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
