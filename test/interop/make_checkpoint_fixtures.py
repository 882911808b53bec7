#!/usr/bin/python3
"""Fixtures for src/formats/checkpoints.test.ts: the .pt files people actually have, written by
real PyTorch (Debian's python3-torch 1.13), and PyTorch's own logits to check the imports.

Run from the project root:  /usr/bin/python3 test/interop/make_checkpoint_fixtures.py

The model is the twin (scripts/torch/twin.py), a 2-layer highway classifier, trained one Adam
step so that the optimizer state is real. Files land in test/fixtures/import/checkpoints/:
  wrapped.pt         {epoch, state_dict, optimizer, best_acc, hparams, args: argparse.Namespace}
  lightning.pt       Lightning's layout: state_dict keys prefixed 'model.', optimizer_states
                     (a list of optimizer state dicts), lr_schedulers, hyper_parameters
  nested.pt          {meta: {..., NumPy scalars}, checkpoint: {model: {weights: state_dict}}}
  ema.pt             {model: state_dict, ema: averaged state_dict, step}: two dicts fit the model
  legacy.pt          the bare state dict, torch.save(..., _use_new_zipfile_serialization=False)
  legacy-wrapped.pt  wrapped.pt's checkpoint in the legacy layout
  legacy-p4.pt       the bare state dict, legacy layout at pickle protocol 4 (FRAME opcodes)
  deflated.pt        wrapped.pt re-packed with DEFLATE entries (as a zip tool would)
  checkpoints.json   {config, ids, lengths, logits: {model, ema} (float64 twin on the float32
                     weights), keys, cases: {file: key holding the state dict}}
Each file is loaded back with torch.load and checked before the reference is written.
"""
import argparse
import json
import os
import sys
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts', 'torch'))
from twin import HighwayBiLSTMClassifier  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'import', 'checkpoints')
V, B, T = 16, 4, 7
LENGTHS = [5, 1, 7, 3]
CONFIG = {'version': 1, 'vocabSize': V, 'dropout': 0.0, 'gateBias': -1.0, 'gatesOutput': True, 'seed': 1,
          'kind': 'highway', 'layers': 2, 'embedDim': 5, 'hidden': 3, 'classes': 3, 'carry': 'projection',
          'labels': ['class0', 'class1', 'class2']}


def logits64(sd, ids, lengths):
    m = HighwayBiLSTMClassifier(CONFIG).double()
    m.load_state_dict({k: v.double() for k, v in sd.items()})
    m.eval()
    with torch.no_grad():
        return m(ids, lengths).reshape(-1).tolist()


def deflate_copy(src, dst):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', compression=zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(41)
    gen = torch.Generator().manual_seed(41)
    m = HighwayBiLSTMClassifier(CONFIG)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.4)
    ids = torch.zeros(B, T, dtype=torch.int64)
    for b, n in enumerate(LENGTHS):
        ids[b, :n] = torch.randint(2, V, (n,), generator=gen)
    lengths = torch.tensor(LENGTHS, dtype=torch.int64)
    labels = torch.randint(0, CONFIG['classes'], (B,), generator=gen)

    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10)
    m.train()
    torch.nn.functional.cross_entropy(m(ids, lengths), labels).backward()
    opt.step()
    sched.step()
    sd = m.state_dict()
    ema = {k: v * 0.5 + 0.01 for k, v in sd.items()}
    hparams = {'lr': 0.01, 'layers': 2, 'hidden': 3, 'optimizer': 'adam', 'betas': (0.9, 0.999), 'dropout': None}
    args = argparse.Namespace(lr=0.01, epochs=20, data='data/sst', seed=41)
    wrapped = {'epoch': 7, 'state_dict': sd, 'optimizer': opt.state_dict(), 'best_acc': 0.8125,
               'hparams': hparams, 'args': args}
    cases = {}

    def save(name, obj, key, legacy=False, protocol=2):
        path = os.path.join(OUT, name)
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)
        cases[name] = key

    save('wrapped.pt', wrapped, 'state_dict')
    save('lightning.pt', {
        'epoch': 3, 'global_step': 120, 'pytorch-lightning_version': '1.9.0',
        'state_dict': {f'model.{k}': v for k, v in sd.items()},
        'optimizer_states': [opt.state_dict()], 'lr_schedulers': [sched.state_dict()],
        'hyper_parameters': hparams,
    }, 'state_dict')
    meta = {'note': 'nested', 'versions': [1, 2], 'acc': np.float64(0.8125), 'loss': np.float32(0.25),
            'steps': np.int64(120), 'big': np.int64(2**60 + 1), 'done': np.bool_(True)}
    save('nested.pt', {'meta': meta, 'checkpoint': {'model': {'weights': sd}}},
         'checkpoint.model.weights')
    save('ema.pt', {'model': sd, 'ema': ema, 'step': 3}, None)
    save('legacy.pt', sd, None, legacy=True)
    save('legacy-wrapped.pt', wrapped, 'state_dict', legacy=True)
    save('legacy-p4.pt', sd, None, legacy=True, protocol=4)
    deflate_copy(os.path.join(OUT, 'wrapped.pt'), os.path.join(OUT, 'deflated.pt'))
    cases['deflated.pt'] = 'state_dict'

    # Every file loads back in PyTorch with the weights it was given (the deflated copy is
    # checked entry by entry against the stored original instead: torch.load reads STORED zips).
    def weights_of(obj, key):
        for part in (key.split('.') if key else []):
            obj = obj[part]
        return {k.removeprefix('model.'): v for k, v in obj.items()}
    for name, key in cases.items():
        if name == 'deflated.pt':
            with zipfile.ZipFile(os.path.join(OUT, name)) as zd, zipfile.ZipFile(os.path.join(OUT, 'wrapped.pt')) as zs:
                assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zd.infolist())
                assert all(zd.read(n) == zs.read(n) for n in zs.namelist())
            continue
        back = torch.load(os.path.join(OUT, name))
        got = weights_of(back, key if name != 'ema.pt' else 'model')
        assert all(torch.equal(got[k], sd[k]) for k in sd), name

    ref = {'config': CONFIG, 'ids': ids.tolist(), 'lengths': LENGTHS, 'keys': list(sd.keys()),
           'logits': {'model': logits64(sd, ids, lengths), 'ema': logits64(ema, ids, lengths)},
           'cases': cases, 'torch': torch.__version__,
           'reference': 'twin in float64 on the float32 weights of each state dict'}
    with open(os.path.join(OUT, 'checkpoints.json'), 'w') as f:
        json.dump(ref, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
