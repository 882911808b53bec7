#!/usr/bin/env bash
# GPU check for a fresh machine with an NVIDIA GPU, CUDA 12 + cuDNN 9, network, and Node ≥ 20.
# Run from the repository alone:   scripts/gpu-check.sh [STEPS (default 30)]
#   1. installs what it needs: npm dependencies (npm ci, registry only) and onnxruntime-node's
#      CUDA 12 provider (npm run setup:cuda; SKIP_SETUP=1 skips it);
#   2. inference on cuda and on webgpu (the GPU's Vulkan adapter): the same model and 512 texts
#      as on cpu, probabilities compared (max |Δp| ≤ 1e-4, same labels), batches of 64 timed;
#   3. training: the same seeded run of STEPS steps on cpu, cuda and webgpu, losses compared
#      step by step (≤ 1e-3 relative at step 1, ≤ 2e-2 over the run), steps/s and ratios to cpu;
#   4. PyTorch on the GPU for reference, when `import torch` finds CUDA: the same model
#      (scripts/torch/twin.py), batch and step count, steps/s;
#   5. the CLI end to end on cuda: predict, train --max-steps, serve + one request + SIGTERM.
# Everything goes to one report, test-output/gpu-check/report.md (also printed). Each phase
# has a time limit so the whole check ends within 8 minutes. Exit 0 when every check passed.
# GPU_CHECK_DEVICES=cuda (or webgpu) limits step 2–3 to one device.
set -uo pipefail
cd "$(dirname "$0")/.."
STEPS="${1:-30}"
OUT="test-output/gpu-check"
REPORT="$OUT/report.md"
rm -rf "$OUT" && mkdir -p "$OUT"
FAILED=0
START=$(date +%s)
DEADLINE=$((START + 470)) # 7 m 50 s: every phase's limit is cut to what is left of it

# Everything below is written to the report and the terminal.
exec > >(tee -a "$REPORT") 2>&1
say() { printf '\n## %s\n\n' "$*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }
# phase NAME SECONDS CMD...: run with a time limit, count a failure on non-zero exit.
phase() {
  local name="$1" limit="$2"; shift 2
  local left=$((DEADLINE - $(date +%s)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -le 5 ]; then fail "$name: no time left in the 8-minute budget"; return 0; fi
  echo '```'
  timeout --kill-after=10 "$limit" "$@"; local rc=$?
  echo '```'
  [ $rc -eq 124 ] && fail "$name: over its ${limit}s limit"
  [ $rc -ne 0 ] && [ $rc -ne 124 ] && fail "$name (exit $rc)"
  return 0
}

echo "# highway-onnx GPU check — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine"
command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: this script needs an NVIDIA GPU and driver"; exit 1; }
echo '```'
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "node $(node --version), $(uname -sr), $(nproc) cores"
git log -1 --format='commit %h %s' 2>/dev/null || true
echo "Vulkan drivers (for webgpu): $(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')${VK_ICD_FILENAMES:+ (VK_ICD_FILENAMES=$VK_ICD_FILENAMES)}"
echo '```'

say "install"
if [ ! -d node_modules/onnxruntime-node ]; then
  # The registry only: onnxruntime-node's own CUDA download is the explicit step below.
  phase "npm ci" 240 env ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
if [ "${SKIP_SETUP:-0}" != "1" ]; then
  phase "npm run setup:cuda" 180 npm run setup:cuda
fi
echo '```'
node -e "const o=require('onnxruntime-node');console.log(JSON.stringify(o.listSupportedBackends()))"
echo '```'

say "inference and training: cpu, cuda, webgpu"
cat > "$OUT/check.ts" <<'EOF'
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/runtime/node.js';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { initParams } from '../../src/models/init.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { builtinDataset } from '../../src/data/builtin.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { train } from '../../src/train/trainer.js';
import type { Device } from '../../src/runtime/device.js';

const out = process.argv[2]!;
const steps = Number(process.argv[3] ?? 30);
let failed = 0;
const check = (ok: boolean, what: string): void => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
};
const devices = (process.env.GPU_CHECK_DEVICES ?? 'cuda,webgpu').split(',') as Device[];

// Inference: a 2-layer Highway BiLSTM over the built-in data's vocabulary, 512 texts.
const data = builtinDataset({ trainSize: 2000, devSize: 200, testSize: 0 });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const config = resolveConfig({ layers: 2, embedDim: 100, hidden: 50, vocabSize: vocab.size, seed: 5 });
const bytes = encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() }));
writeFileSync(join(out, 'model.onnx'), bytes);
const texts = data.train.slice(0, 512).map((e) => e.text);
const timeBatches = async (p: Awaited<ReturnType<typeof loadModel>>): Promise<number> => {
  await p.predict(texts.slice(0, 64));
  const t0 = performance.now();
  for (let r = 0; r < 10; r++) await p.predict(texts.slice(0, 64));
  return (performance.now() - t0) / 10;
};
const cpu = await loadModel(bytes, { device: 'cpu', maxBatch: 64 });
const ref = await cpu.predict(texts);
const cpuMs = await timeBatches(cpu);
console.log(`     cpu: ${cpuMs.toFixed(2)} ms per batch of 64`);
for (const device of devices) {
  let p;
  try {
    p = await loadModel(bytes, { device, maxBatch: 64 });
  } catch (e) {
    check(false, `${device}: could not load: ${(e as Error).message}`);
    continue;
  }
  check(p.provider === device, `${device}: the predictor runs on '${p.provider}'${p.adapter ? ` (adapter ${p.adapter.name}${p.adapter.software ? ', SOFTWARE' : ''})` : ''}`);
  const b = await p.predict(texts);
  let maxDiff = 0;
  let same = 0;
  ref.forEach((x, i) => {
    x.probs.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - b[i]!.probs[k]!))));
    if (x.labelId === b[i]!.labelId) same++;
  });
  check(maxDiff <= 1e-4, `${device}: inference max |p_cpu − p_${device}| = ${maxDiff.toExponential(2)} over ${texts.length} texts (≤ 1e-4)`);
  check(same === texts.length, `${device}: ${same}/${texts.length} labels agree with cpu`);
  const ms = await timeBatches(p);
  console.log(`     ${device}: ${ms.toFixed(2)} ms per batch of 64 (${(cpuMs / ms).toFixed(2)}× cpu's speed)`);
  await p.release();
}
await cpu.release();

// Training: the same seeded run (same batches, same dropout masks) on each device.
const run = async (device: Device) => {
  const t0 = performance.now();
  const r = await train({ out: join(out, `train-${device}`), dataset: data, device, seed: 3, epochs: 1, batchSize: 32, maxSteps: steps, progress: false, log: () => undefined, model: { layers: 2, embedDim: 100, hidden: 50 } });
  return { losses: r.stepLosses, seconds: (performance.now() - t0) / 1000 };
};
const rel = (x: number, y: number): number => Math.abs(x - y) / Math.max(1e-8, Math.abs(x));
const lc = await run('cpu');
console.log(`     cpu: ${steps} steps in ${lc.seconds.toFixed(1)} s (${(steps / lc.seconds).toFixed(2)} steps/s, graph building and session start included)`);
const results: Record<string, number> = { cpuStepsPerSec: steps / lc.seconds };
for (const device of devices) {
  let lg;
  try {
    lg = await run(device);
  } catch (e) {
    check(false, `${device}: training failed: ${(e as Error).message}`);
    continue;
  }
  check(lg.losses.length === steps, `${device}: ${lg.losses.length}/${steps} training steps`);
  check(rel(lc.losses[0]!, lg.losses[0]!) <= 1e-3, `${device}: first loss cpu ${lc.losses[0]!.toFixed(6)} vs ${lg.losses[0]!.toFixed(6)} (rel ≤ 1e-3)`);
  const worst = Math.max(...lc.losses.map((x, i) => rel(x, lg.losses[i]!)));
  check(worst <= 2e-2, `${device}: worst relative loss difference over ${steps} steps ${worst.toExponential(2)} (≤ 2e-2)`);
  check(lg.losses.every(Number.isFinite), `${device}: every loss is finite`);
  console.log(`     ${device}: ${steps} steps in ${lg.seconds.toFixed(1)} s (${(steps / lg.seconds).toFixed(2)} steps/s, ${(lc.seconds / lg.seconds).toFixed(2)}× cpu's speed)`);
  console.log(`     losses cpu     ${lc.losses.slice(0, 4).map((x) => x.toFixed(5)).join(' ')} … ${lc.losses.at(-1)!.toFixed(5)}`);
  console.log(`     losses ${device.padEnd(7)} ${lg.losses.slice(0, 4).map((x) => x.toFixed(5)).join(' ')} … ${lg.losses.at(-1)!.toFixed(5)}`);
  results[`${device}StepsPerSec`] = steps / lg.seconds;
}
writeFileSync(join(out, 'ours.json'), JSON.stringify({ steps, ...results }));
process.exit(failed === 0 ? 0 : 1);
EOF
phase "inference and training checks" 300 npx tsx "$OUT/check.ts" "$OUT" "$STEPS"

say "PyTorch on the GPU (reference speed)"
cat > "$OUT/torch_gpu.py" <<'EOF'
# The twin classifier (embed 100, hidden 50, 2 highway layers, batch 32, Adam) for STEPS steps
# on random ragged batches shaped like the built-in data; steps/s on cuda and on cpu.
import json, os, sys, time
import torch
sys.path.insert(0, os.path.join(os.getcwd(), 'scripts', 'torch'))
from twin import HighwayBiLSTMClassifier
steps = int(sys.argv[1]); out = sys.argv[2]
if not torch.cuda.is_available():
    print('torch', torch.__version__, 'has no CUDA here: no PyTorch GPU reference'); sys.exit(0)
res = {'torch': torch.__version__, 'gpu': torch.cuda.get_device_name(0)}
for dev in ['cuda', 'cpu']:
    torch.manual_seed(1)
    cfg = {'kind': 'highway', 'layers': 2, 'vocabSize': 2000, 'embedDim': 100, 'hidden': 50, 'classes': 2, 'carry': 'projection', 'dropout': 0.4}
    m = HighwayBiLSTMClassifier(cfg).to(dev).train()
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(2)
    def batch():
        lengths = torch.randint(3, 20, (32,), generator=g)
        ids = torch.randint(2, 2000, (32, int(lengths.max())), generator=g)
        return ids.to(dev), lengths, torch.randint(0, 2, (32,), generator=g).to(dev)
    for i in range(steps + 3):
        if i == 3:
            if dev == 'cuda': torch.cuda.synchronize()
            t0 = time.perf_counter()
        ids, lengths, y = batch()
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(m(ids, lengths), y)
        loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0); opt.step()
    if dev == 'cuda': torch.cuda.synchronize()
    res[f'torch_{dev}_steps_per_sec'] = steps / (time.perf_counter() - t0)
    print(f"torch {dev}: {res[f'torch_{dev}_steps_per_sec']:.1f} steps/s")
json.dump(res, open(out, 'w'))
EOF
# A python whose torch sees CUDA ($PYTHON first), else any python with torch (it says so and stops).
PY=""
for cand in ${PYTHON:-} python3 /usr/bin/python3; do
  command -v "$cand" >/dev/null || continue
  if "$cand" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then PY=$cand; break; fi
  [ -z "$PY" ] && "$cand" -c 'import torch' 2>/dev/null && PY=$cand
done
if [ -n "$PY" ]; then
  phase "PyTorch reference" 120 "$PY" "$OUT/torch_gpu.py" "$STEPS" "$OUT/torch.json"
  if [ -f "$OUT/torch.json" ] && [ -f "$OUT/ours.json" ]; then
    node -e "const t=require('./$OUT/torch.json'),o=require('./$OUT/ours.json');for(const d of ['cuda','webgpu'])if(o[d+'StepsPerSec'])console.log('ours on '+d+' / PyTorch on cuda: '+(o[d+'StepsPerSec']/t.torch_cuda_steps_per_sec).toFixed(3)+'× (ours includes graph building and session start)')"
  fi
else
  echo "no python3 with torch: no PyTorch reference"
fi

say "CLI on cuda"
CLI=(node --import tsx src/cli/bin.ts)
cli_check() {
  echo "a gripping , beautifully acted film" | "${CLI[@]}" predict --device cuda -m "$OUT/model.onnx" || return 1
  "${CLI[@]}" train --device cuda --out "$OUT/cli-run" --layers 1 --epochs 1 --max-steps 3 --no-progress || return 1
  "${CLI[@]}" inspect "$OUT/cli-run" | head -12
  "${CLI[@]}" serve --device cuda -m "$OUT/model.onnx" --port 0 2> "$OUT/serve.log" &
  local serve=$! url=""
  for _ in $(seq 1 100); do grep -q 'at http://' "$OUT/serve.log" && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$OUT/serve.log" | head -1)
  if [ -z "$url" ] || ! grep -q ' on cuda at ' "$OUT/serve.log"; then cat "$OUT/serve.log"; kill -TERM "$serve" 2>/dev/null; echo "serve did not start on cuda"; return 1; fi
  curl -sf -X POST "$url/v1/predict" -H 'content-type: application/json' -d '{"texts": ["not bad at all", "a tedious mess"]}' || { kill -TERM "$serve"; return 1; }
  echo
  kill -TERM "$serve"
  wait "$serve"
  cat "$OUT/serve.log"
}
phase "CLI on cuda" 120 bash -c "$(declare -p CLI OUT; declare -f cli_check); cli_check"

say "result"
echo "$((FAILED)) failed check group(s); $(( $(date +%s) - START )) s in all; report: $REPORT"
[ "$FAILED" -eq 0 ] && echo "gpu-check: all checks passed"
exit $(( FAILED > 0 ? 1 : 0 ))
