#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU, CUDA 12 + cuDNN 9 and network:
#   1. installs onnxruntime-node's CUDA provider (npm run setup:cuda; SKIP_SETUP=1 skips it);
#   2. inference: the same model and texts on --device cpu and --device cuda, probabilities
#      compared (max |Δp| ≤ 1e-4, same labels), with timings;
#   3. training: the same seeded run for a few steps on cpu and on cuda, losses compared
#      step by step (relative difference ≤ 1e-3 at the first step, ≤ 2e-2 after STEPS steps);
#   4. the CLI end to end on cuda: predict, train --max-steps, serve + one request + SIGTERM.
# Exit status 0 when everything matches. Usage: scripts/gpu-check.sh [STEPS (default 20)]
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${1:-20}"
OUT="test-output/gpu-check"
rm -rf "$OUT" && mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*"; }

say "machine"
command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: this script needs an NVIDIA GPU and driver" >&2; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
node --version

if [ "${SKIP_SETUP:-0}" != "1" ]; then
  say "npm run setup:cuda"
  npm run setup:cuda
fi

say "onnxruntime-node backends"
node -e "const o=require('onnxruntime-node');const b=o.listSupportedBackends();console.log(JSON.stringify(b));if(!b.some(x=>x.name==='cuda'&&x.bundled)){console.error('gpu-check: the CUDA provider is not installed (run npm run setup:cuda)');process.exit(1)}"

say "inference and training: cpu against cuda"
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

const out = process.argv[2]!;
const steps = Number(process.argv[3] ?? 20);
let failed = 0;
const check = (ok: boolean, what: string): void => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
};

// Inference: a 2-layer Highway BiLSTM over the built-in data's vocabulary, 512 texts.
const data = builtinDataset({ trainSize: 2000, devSize: 200, testSize: 0 });
const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)));
const config = resolveConfig({ layers: 2, embedDim: 100, hidden: 50, vocabSize: vocab.size, seed: 5 });
const bytes = encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() }));
writeFileSync(join(out, 'model.onnx'), bytes);
const texts = data.train.slice(0, 512).map((e) => e.text);
const cpu = await loadModel(bytes, { device: 'cpu', maxBatch: 64 });
const cuda = await loadModel(bytes, { device: 'cuda', maxBatch: 64 });
check(cuda.provider === 'cuda', `the cuda predictor runs on '${cuda.provider}'`);
const a = await cpu.predict(texts);
const b = await cuda.predict(texts);
let maxDiff = 0;
let sameLabel = 0;
a.forEach((p, i) => {
  p.probs.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - b[i]!.probs[k]!))));
  if (p.labelId === b[i]!.labelId) sameLabel++;
});
check(maxDiff <= 1e-4, `inference: max |p_cpu − p_cuda| = ${maxDiff.toExponential(2)} over ${texts.length} texts (≤ 1e-4)`);
check(sameLabel === texts.length, `inference: ${sameLabel}/${texts.length} labels agree`);
for (const [name, p] of [['cpu', cpu], ['cuda', cuda]] as const) {
  await p.predict(texts.slice(0, 64));
  const t0 = performance.now();
  for (let r = 0; r < 10; r++) await p.predict(texts.slice(0, 64));
  console.log(`     ${name}: ${((performance.now() - t0) / 10).toFixed(2)} ms per batch of 64`);
}
await cpu.release();
await cuda.release();

// Training: the same seeded run (same batches, same dropout masks) on both devices.
const run = async (device: 'cpu' | 'cuda') => {
  const t0 = performance.now();
  const r = await train({ out: join(out, `train-${device}`), dataset: data, device, seed: 3, epochs: 1, batchSize: 32, maxSteps: steps, progress: false, log: () => undefined, model: { layers: 2, embedDim: 100, hidden: 50 } });
  return { losses: r.stepLosses, seconds: (performance.now() - t0) / 1000 };
};
const lc = await run('cpu');
const lg = await run('cuda');
const rel = (x: number, y: number): number => Math.abs(x - y) / Math.max(1e-8, Math.abs(x));
check(lg.losses.length === steps && lc.losses.length === steps, `training: ${steps} steps on each device`);
check(rel(lc.losses[0]!, lg.losses[0]!) <= 1e-3, `training: first loss cpu ${lc.losses[0]!.toFixed(6)} vs cuda ${lg.losses[0]!.toFixed(6)} (rel ≤ 1e-3)`);
const worst = Math.max(...lc.losses.map((x, i) => rel(x, lg.losses[i]!)));
check(worst <= 2e-2, `training: worst relative loss difference over ${steps} steps ${worst.toExponential(2)} (≤ 2e-2)`);
check(lg.losses.every(Number.isFinite), 'training: every cuda loss is finite');
console.log(`     cpu ${lc.seconds.toFixed(1)} s, cuda ${lg.seconds.toFixed(1)} s for ${steps} steps (graph building included)`);
console.log(`     losses cpu  ${lc.losses.slice(0, 5).map((x) => x.toFixed(4)).join(' ')} … ${lc.losses.at(-1)!.toFixed(4)}`);
console.log(`     losses cuda ${lg.losses.slice(0, 5).map((x) => x.toFixed(4)).join(' ')} … ${lg.losses.at(-1)!.toFixed(4)}`);
process.exit(failed === 0 ? 0 : 1);
EOF
npx tsx "$OUT/check.ts" "$OUT" "$STEPS"

say "CLI on cuda"
CLI=(node --import tsx src/cli/bin.ts)
echo "a gripping , beautifully acted film" | "${CLI[@]}" predict --device cuda -m "$OUT/model.onnx"
"${CLI[@]}" train --device cuda --out "$OUT/cli-run" --layers 1 --epochs 1 --max-steps 3 --no-progress
"${CLI[@]}" inspect "$OUT/cli-run" | head -20
"${CLI[@]}" serve --device cuda -m "$OUT/model.onnx" --port 0 2> "$OUT/serve.log" &
SERVE=$!
for _ in $(seq 1 100); do grep -q 'at http://' "$OUT/serve.log" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$OUT/serve.log" | head -1)
[ -n "$URL" ] || { cat "$OUT/serve.log" >&2; echo "gpu-check: serve did not start" >&2; exit 1; }
grep -q ' on cuda at ' "$OUT/serve.log" || { cat "$OUT/serve.log" >&2; echo "gpu-check: serve is not running on cuda" >&2; exit 1; }
curl -sf -X POST "$URL/v1/predict" -H 'content-type: application/json' -d '{"texts": ["not bad at all", "a tedious mess"]}'
echo
curl -sf "$URL/healthz"
echo
kill -TERM "$SERVE"
wait "$SERVE"
cat "$OUT/serve.log"

say "gpu-check: all checks passed"
