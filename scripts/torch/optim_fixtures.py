#!/usr/bin/python3
"""Writes the optimizer fixtures under test/fixtures/optim/ with real PyTorch (1.13).

Run from the project root:  /usr/bin/python3 scripts/torch/optim_fixtures.py

Each <case>.json holds two float32 parameters (w [2, 3], b [3]), five steps of given
gradients (scaled per step so that clipping, where on, is active in some steps and not in
others), a learning rate per step (the schedule is an input, as in our graphs), and after
every step: the parameters, the optimizer state in optimizerState() order (per parameter:
SGD momentum_buffer; Adam/AdamW exp_avg, exp_avg_sq) and the global gradient norm before
clipping. Float32 values are written as the exact decimal of their float64 widening, so
they load back bit for bit. `spec` is our OptimizerSpec for the same settings.

Torch runs its single-tensor code paths (foreach=False) on CPU in float32.
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'optim')

STEPS = 5
GRAD_SCALE = [0.5, 3.0, 0.1, 8.0, 1.0]
LR_FACTOR = [1.0, 0.9, 0.8, 1.2, 0.5]

# name: (our spec, base lr)
CASES = {
    'sgd': ({'kind': 'sgd'}, 0.1),
    'sgd_momentum': ({'kind': 'sgd', 'momentum': 0.9}, 0.05),
    'sgd_nesterov_wd': ({'kind': 'sgd', 'momentum': 0.9, 'nesterov': True, 'weightDecay': 0.01}, 0.05),
    'sgd_momentum_clip': ({'kind': 'sgd', 'momentum': 0.9, 'clipNorm': 2.0}, 0.05),
    'adam': ({'kind': 'adam'}, 0.01),
    'adam_wd': ({'kind': 'adam', 'weightDecay': 0.1}, 0.01),
    'adamw': ({'kind': 'adamw'}, 0.01),
    'adamw_wd_betas': ({'kind': 'adamw', 'weightDecay': 0.5, 'beta1': 0.8, 'beta2': 0.99, 'eps': 1e-6}, 0.02),
    'adamw_clip': ({'kind': 'adamw', 'weightDecay': 0.1, 'clipNorm': 2.0}, 0.01),
}


def values(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def make_optimizer(spec, params, lr):
    kind = spec['kind']
    if kind == 'sgd':
        return torch.optim.SGD(params, lr=lr, momentum=spec.get('momentum', 0.0),
                               nesterov=spec.get('nesterov', False),
                               weight_decay=spec.get('weightDecay', 0.0), foreach=False)
    betas = (spec.get('beta1', 0.9), spec.get('beta2', 0.999))
    eps = spec.get('eps', 1e-8)
    if kind == 'adam':
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps,
                                weight_decay=spec.get('weightDecay', 0.0), foreach=False)
    return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps,
                             weight_decay=spec.get('weightDecay', 0.01), foreach=False)


def state_of(spec, opt, params):
    out = []
    for p in params:
        st = opt.state[p]
        if spec['kind'] == 'sgd':
            if spec.get('momentum', 0.0) > 0:
                out.append(values(st['momentum_buffer']))
        else:
            out += [values(st['exp_avg']), values(st['exp_avg_sq'])]
    return out


def run_case(name, spec, base_lr, init, grads):
    params = [torch.nn.Parameter(t.clone()) for t in init]
    opt = make_optimizer(spec, params, base_lr)
    lrs, steps = [], []
    for k in range(STEPS):
        lr = base_lr * LR_FACTOR[k]
        lrs.append(lr)
        for p, g in zip(params, grads[k]):
            p.grad = g.clone()
        if 'clipNorm' in spec:
            norm = torch.nn.utils.clip_grad_norm_(params, spec['clipNorm'])
        else:
            norm = torch.norm(torch.stack([torch.norm(p.grad.detach(), 2.0) for p in params]), 2.0)
        for group in opt.param_groups:
            group['lr'] = lr
        opt.step()
        steps.append({
            'params': [values(p) for p in params],
            'state': state_of(spec, opt, params),
            'gradNorm': float(norm),
            'clipped': bool('clipNorm' in spec and float(norm) > spec['clipNorm']),
        })
    return {
        'case': name,
        'generator': 'scripts/torch/optim_fixtures.py',
        'torch': torch.__version__,
        'spec': spec,
        'params': [{'name': n, 'dims': list(t.shape), 'values': values(t)} for n, t in zip(['w', 'b'], init)],
        'grads': [[values(g) for g in gs] for gs in grads],
        'lrs': lrs,
        'steps': steps,
    }


def main():
    torch.manual_seed(20240611)
    init = [torch.randn(2, 3), torch.randn(3)]
    grads = [[torch.randn(2, 3) * s, torch.randn(3) * s] for s in GRAD_SCALE]
    os.makedirs(OUT, exist_ok=True)
    for name, (spec, lr) in CASES.items():
        data = run_case(name, spec, lr, init, grads)
        assert all(math.isfinite(x) for s in data['steps'] for p in s['params'] for x in p)
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            json.dump(data, f, indent=1)
            f.write('\n')
        print('wrote', name + '.json', [s['clipped'] for s in data['steps']] if 'clipNorm' in spec else '')


if __name__ == '__main__':
    main()
