#!/usr/bin/python3
"""Training throughput of the PyTorch twin (twin.py) on SST-2: the baseline for our
training-step graph (scripts/bench/training.ts runs this as a child process).

    /usr/bin/python3 scripts/torch/bench_train.py --data ../shared/data/sst --layers 4 --steps 50

Model: kind highway, carry projection, embed 100, hidden 50 per direction, dropout 0.5,
Adam lr 1e-3, mean cross-entropy, batch 32 (--sparse: the embedding has sparse gradients and is
updated by torch.optim.SparseAdam, the other parameters by Adam). Data: train.txt (`sentence ||| label`), label 2
dropped, 0–1 → 0, 3–4 → 1; lower-case + whitespace split; vocabulary = every train token
(ids from 2: 0 padding, 1 unknown). Batches are length-bucketed (seeded shuffle, buckets of
50 batches sorted by length), or read from --batches (a JSON list of lists of indices into
the filtered train examples) so that both benchmarks train on exactly the same batches.

`warmup` steps untimed, then `steps` timed steps in `windows` windows; steps/s and
tokens/s (valid tokens, padding not counted) are the medians over the windows.
Prints one JSON object: {steps_per_sec, tokens_per_sec, peak_rss_mb, blas, ...}.
With --serve the windows are run on request instead (one line "N" on stdin → N steps →
one JSON line {seconds, cpuSeconds, tokens}), so that scripts/bench/training.ts can interleave them
with its own and load from other processes hits both sides alike.

Debian's python3-torch uses the generic libblas.so.3, by default the unoptimised reference
BLAS, which makes the LSTM's small matmuls several times slower. For a fair baseline install
libopenblas0-pthread (it takes over the libblas.so.3 alternative) or point LD_LIBRARY_PATH at
an OpenBLAS directory; `blas` in the output names the library actually loaded.
"""
import argparse
import json
import os
import random
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin import HighwayBiLSTMClassifier  # noqa: E402

BUCKET_BATCHES = 50


def blas_library():
    """The BLAS shared library this process loaded (Debian's torch links the generic libblas.so.3,
    which is the slow reference BLAS unless libopenblas0 / LD_LIBRARY_PATH points elsewhere)."""
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line}
    except OSError:
        return 'unknown'
    return ', '.join(sorted(libs)) or 'none'


def read_sst_binary(path):
    examples = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            text, _, label = line.rpartition('|||')
            label = int(label.strip())
            if label == 2:
                continue
            examples.append((text.strip().lower().split(), 0 if label < 2 else 1))
    return examples


def build_vocab(examples):
    vocab = {'<pad>': 0, '<unk>': 1}
    for tokens, _ in examples:
        for t in tokens:
            if t not in vocab:
                vocab[t] = len(vocab)
    return vocab


def bucketed_batches(lengths, batch_size, seed):
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), BUCKET_BATCHES * batch_size):
        bucket = sorted(order[start:start + BUCKET_BATCHES * batch_size], key=lambda i: lengths[i])
        batches += [bucket[i:i + batch_size] for i in range(0, len(bucket), batch_size)]
    rng.shuffle(batches)
    return batches


def pad(seqs):
    T = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), T, dtype=torch.int64)
    for b, s in enumerate(seqs):
        ids[b, :len(s)] = torch.tensor(s, dtype=torch.int64)
    return ids, torch.tensor([len(s) for s in seqs], dtype=torch.int64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default='../shared/data/sst')
    ap.add_argument('--layers', type=int, default=1)
    ap.add_argument('--steps', type=int, default=50, help='timed steps')
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--windows', type=int, default=5)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batches', help='JSON file: list of lists of example indices (overrides bucketing)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--sparse', action='store_true',
                    help='embedding with sparse gradients (Embedding(sparse=True)) updated by SparseAdam, Adam for the rest')
    ap.add_argument('--serve', action='store_true', help='after warm-up, run windows as asked on stdin (see below)')
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train = read_sst_binary(os.path.join(a.data, 'train.txt'))
    vocab = build_vocab(train)
    encoded = [[vocab[t] for t in tokens] or [1] for tokens, _ in train]
    labels = [y for _, y in train]
    if a.batches:
        with open(a.batches) as f:
            plan = json.load(f)
    else:
        plan = bucketed_batches([len(s) for s in encoded], a.batch, a.seed)
    if not plan:
        sys.exit('no batches')
    batches = []
    for idx in plan:
        ids, lengths = pad([encoded[i] for i in idx])
        batches.append((ids, lengths, torch.tensor([labels[i] for i in idx], dtype=torch.int64), int(lengths.sum())))

    config = {'kind': 'highway', 'layers': a.layers, 'vocabSize': len(vocab), 'embedDim': 100, 'hidden': 50,
              'classes': 2, 'carry': 'projection', 'dropout': 0.5}
    model = HighwayBiLSTMClassifier(config)
    with torch.no_grad():
        for k in range(1, a.layers + 1):
            model.layer(k).gate.bias.fill_(-1.0)  # our gateBias default
    model.train()
    if a.sparse:
        # PyTorch's own lazy embedding update: sparse row gradients, SparseAdam on the table only.
        model.embedding.sparse = True
        table = [model.embedding.weight]
        rest = [p for p in model.parameters() if p is not model.embedding.weight]
        opts = [torch.optim.SparseAdam(table, lr=1e-3), torch.optim.Adam(rest, lr=1e-3)]
    else:
        opts = [torch.optim.Adam(model.parameters(), lr=1e-3)]
    loss_fn = torch.nn.CrossEntropyLoss()

    cursor = 0

    def step():
        nonlocal cursor
        ids, lengths, y, tokens = batches[cursor % len(batches)]
        cursor += 1
        for opt in opts:
            opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(ids, lengths), y)
        loss.backward()
        for opt in opts:
            opt.step()
        return tokens

    def timed(n):
        tokens = 0
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            tokens += step()
        return time.perf_counter() - t0, time.process_time() - c0, tokens

    info = {'layers': a.layers, 'sparse': a.sparse, 'warmup': a.warmup, 'threads': a.threads, 'batch': a.batch, 'vocab': len(vocab),
            'examples': len(train), 'torch': torch.__version__, 'blas': blas_library()}
    for _ in range(a.warmup):
        step()
    if a.serve:
        # Windows on demand, so the caller can interleave them with its own: a line "N" runs N
        # steps and answers {"seconds", "tokens"}; end of input answers the summary and exits.
        print(json.dumps({'ready': True, **info}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            dt, cpu, tokens = timed(int(line))
            print(json.dumps({'seconds': dt, 'cpuSeconds': cpu, 'tokens': tokens}), flush=True)
        print(json.dumps({'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **info}), flush=True)
        return
    windows = max(1, min(a.windows, a.steps))
    per = [a.steps // windows + (1 if w < a.steps % windows else 0) for w in range(windows)]
    sps, tps = [], []
    for n in per:
        dt, _, tokens = timed(n)
        sps.append(n / dt)
        tps.append(tokens / dt)
    print(json.dumps({
        'steps_per_sec': statistics.median(sps),
        'tokens_per_sec': statistics.median(tps),
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'steps': a.steps, 'windows': windows, **info,
    }))

if __name__ == '__main__':
    main()
