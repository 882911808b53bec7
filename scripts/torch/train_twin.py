#!/usr/bin/python3
"""Trains the PyTorch twin (twin.py) on a prepared run, for the sentence-level comparison
with our trainer (scripts/twin-compare.ts writes the inputs and runs this).

    /usr/bin/python3 scripts/torch/train_twin.py --run DIR [--threads 2]

DIR/plan.json holds everything the run needs, produced by our TypeScript side so that both
frameworks see the same thing: our model config, lr, clip norm, epochs, the encoded splits
(token ids from our tokenizer and vocabulary; 0 = padding), and for every epoch the batches
(lists of train indices, our seeded length-bucketed order). DIR/init.safetensors holds our
seeded initial parameters (ONNX layout; converted with twin.onnx_to_torch), so both runs start
from the same weights. Not shared: dropout masks (torch's generator, seeded with the run's
seed) and floating-point summation order.

Recipe as our trainer: Adam (torch.optim.Adam, defaults otherwise), global-norm gradient
clipping, mean cross-entropy, dev accuracy after every epoch with dropout off (batches of
128), test accuracy of the best-dev epoch's weights. Writes DIR/result.json:
{"epochs": [{"epoch", "trainLoss", "devLoss", "devAccuracy", "seconds"}], "bestEpoch",
"bestDevAccuracy", "testAccuracy", "seconds", "torch", "threads"}.
"""
import argparse
import copy
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin import HighwayBiLSTMClassifier, load_safetensors, onnx_to_torch  # noqa: E402


def pad(seqs):
    T = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), T, dtype=torch.int64)
    for b, s in enumerate(seqs):
        ids[b, :len(s)] = torch.tensor(s, dtype=torch.int64)
    return ids, torch.tensor([len(s) for s in seqs], dtype=torch.int64)


def evaluate(model, split, batch=128):
    """(mean loss, accuracy) over a split, dropout off, in the split's order."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(split['ids']), batch):
            ids, lengths = pad(split['ids'][i:i + batch])
            y = torch.tensor(split['labels'][i:i + batch], dtype=torch.int64)
            logits = model(ids, lengths)
            loss_sum += float(torch.nn.functional.cross_entropy(logits, y, reduction='sum'))
            correct += int((logits.argmax(dim=1) == y).sum())
    model.train()
    n = len(split['ids'])
    return loss_sum / n, correct / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--run', required=True, help='directory with plan.json and init.safetensors')
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.run, 'plan.json')) as f:
        plan = json.load(f)
    torch.manual_seed(plan['seed'])
    config = plan['config']
    model = HighwayBiLSTMClassifier(config)
    tensors, _ = load_safetensors(os.path.join(a.run, 'init.safetensors'))
    model.load_state_dict(onnx_to_torch(tensors))
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=plan['lr'])
    train, dev, test = plan['train'], plan['dev'], plan['test']
    epochs, best, best_state = [], None, None
    t_start = time.perf_counter()
    for e, batches in enumerate(plan['batches']):
        t0 = time.perf_counter()
        loss_sum, seen = 0.0, 0
        for idx in batches:
            ids, lengths = pad([train['ids'][i] for i in idx])
            y = torch.tensor([train['labels'][i] for i in idx], dtype=torch.int64)
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(ids, lengths), y)
            loss.backward()
            if plan['clip'] > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), plan['clip'])
            opt.step()
            loss_sum += float(loss) * len(idx)
            seen += len(idx)
        seconds = time.perf_counter() - t0
        dev_loss, dev_acc = evaluate(model, dev)
        epochs.append({'epoch': e + 1, 'trainLoss': loss_sum / seen, 'devLoss': dev_loss, 'devAccuracy': dev_acc, 'seconds': seconds})
        print(json.dumps(epochs[-1]), flush=True)
        if best is None or dev_acc > best['devAccuracy']:
            best = epochs[-1]
            best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    _, test_acc = evaluate(model, test)
    result = {'epochs': epochs, 'bestEpoch': best['epoch'], 'bestDevAccuracy': best['devAccuracy'], 'testAccuracy': test_acc,
              'seconds': time.perf_counter() - t_start, 'torch': torch.__version__, 'threads': a.threads}
    tmp = os.path.join(a.run, 'result.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(result, f)
    os.replace(tmp, os.path.join(a.run, 'result.json'))
    print(json.dumps({k: result[k] for k in ('bestEpoch', 'bestDevAccuracy', 'testAccuracy', 'seconds')}), flush=True)


if __name__ == '__main__':
    main()
