#!/usr/bin/python3
"""Inference throughput of the PyTorch twin (twin.py): the baseline for our inference
(scripts/bench/vs-torch.ts runs this as a child process and interleaves its windows with ours).

    /usr/bin/python3 scripts/torch/bench_infer.py --batches plan.json --layers 4 --vocab 16000

Model: kind highway, carry projection, embed 100, hidden 50 per direction, eval mode
(dropout off), torch.inference_mode(); random weights (speed does not depend on them).
--batches: a JSON list of batches, each a list of id sequences (pre-tokenised, ids from 2;
0 padding, 1 unknown): the same batches our side runs.

Protocol (stdin/stdout, one JSON object a line): after start-up it prints
{"ready": true, "blas", "torch", ...}; each input line "N" runs the next N batches of the plan
(cycling) and answers {"seconds", "cpuSeconds", "tokens"} (CPU time of all its threads; valid tokens, padding not counted); end of input
answers {"peak_rss_mb"} and exits. Padding and the length tensor are built outside the timed
region, as pre-tokenised input for a fair comparison of the model itself.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin import HighwayBiLSTMClassifier  # noqa: E402
from bench_train import blas_library, pad  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--batches', required=True, help='JSON file: list of batches (lists of id lists)')
    ap.add_argument('--layers', type=int, default=1)
    ap.add_argument('--vocab', type=int, required=True)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=3, help='untimed passes over the first batches')
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    with open(a.batches) as f:
        plan = json.load(f)
    if not plan:
        sys.exit('no batches')
    batches = []
    for seqs in plan:
        ids, lengths = pad(seqs)
        batches.append((ids, lengths, int(lengths.sum())))
    config = {'kind': 'highway', 'layers': a.layers, 'vocabSize': a.vocab, 'embedDim': 100, 'hidden': 50,
              'classes': 2, 'carry': 'projection', 'dropout': 0.5}
    model = HighwayBiLSTMClassifier(config)
    model.eval()

    cursor = 0

    def run(n):
        nonlocal cursor
        tokens = 0
        with torch.inference_mode():
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n):
                ids, lengths, tok = batches[cursor % len(batches)]
                cursor += 1
                torch.softmax(model(ids, lengths), dim=-1)
                tokens += tok
            return time.perf_counter() - t0, time.process_time() - c0, tokens

    run(min(len(batches), a.warmup))
    cursor = 0
    print(json.dumps({'ready': True, 'layers': a.layers, 'threads': a.threads, 'torch': torch.__version__,
                      'blas': blas_library()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        dt, cpu, tokens = run(int(line))
        print(json.dumps({'seconds': dt, 'cpuSeconds': cpu, 'tokens': tokens}), flush=True)
    print(json.dumps({'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


if __name__ == '__main__':
    main()
