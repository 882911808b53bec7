// The three tiers of the suite, by what a test file needs (vitest projects; `npm run test:unit` and
// friends). unit: in-process, onnxruntime-node on CPU and plain files — the tier a developer runs
// after each edit. integration: child processes (the CLI, Python/PyTorch, kill -9), sockets,
// Redis, WebGPU on SwiftShader, multi-minute training. e2e: a real Chromium, a Vite build or a
// packed tarball installed into a fresh project. A file not named here is a unit test, so a new
// slow test shows up in `test:unit`'s time until it is filed under its tier.

/** Test files (globs from the repository root) that spawn processes, open sockets or train for long. */
export const INTEGRATION = [
  'src/cli/**/*.test.ts',
  // src/serve's batcher and fair-queue tests are in-process (unit); the rest start a server.
  'src/serve/abuse.test.ts',
  'src/serve/readiness.test.ts',
  'src/serve/reload.test.ts',
  'src/serve/server.test.ts',
  'src/serve/sigterm.test.ts',
  'src/serve/swap.test.ts',
  'src/serve/mount.test.ts',
  'src/serve/text-model.test.ts',
  'src/sweep/**/*.test.ts',
  // the file-loader bounds, driven through the CLI
  'src/data/data-files.test.ts',
  'src/formats/nan-import.test.ts',
  'src/formats/pt-bounds.test.ts',
  'src/formats/safetensors-bounds.test.ts',
  'src/onnx/onnx-bounds.test.ts',
  // security: crafted models and files through the CLI, the server and the loaders
  'src/runtime/clear-errors.test.ts',
  'src/runtime/external-cli.test.ts',
  'src/runtime/external-opt-in.test.ts',
  'src/onnx/external-data.test.ts',
  'src/onnx/graph-integrity.test.ts',
  'src/runtime/evaluate.test.ts',
  'src/train/kill9.test.ts',
  'src/runtime/device.test.ts',
  'src/train/interrupt.test.ts',
  'src/train/kill-sites.test.ts',
  'src/train/refusals.test.ts',
  'src/train/trainer.test.ts',
  'src/experiment/quick.test.ts',
  'src/experiment/twin-compare.test.ts',
  'src/experiment/fetch-data.test.ts',
  'src/runtime/backend-matrix.test.ts',
  'src/runtime/worker-threads.test.ts',
  'src/runtime/webgpu-placement.test.ts',
  'src/cli/import-cli.test.ts',
  'src/onnx-import/import-heads.test.ts',
  'src/cli/import-heads-cli.test.ts',
  'src/formats/pickle.test.ts',
  'src/autodiff/torch-grad.test.ts',
  'src/onnx/roundtrip.test.ts',
  'src/models/onnx-checker.test.ts',
  'src/onnx/quantize.test.ts',
  'test/docs/readme-examples.test.ts',
  'src/data/rng.test.ts',
  'src/formats/checkpoints.test.ts',
  'src/interop/export-text-rules.test.ts',
  'src/io/atomic-write.test.ts',
  'src/optim/lazy-embedding.test.ts',
  'src/onnx/dtypes.test.ts',
];

/** Test files that drive a real browser, a bundler or a packed install. */
export const E2E = ['src/web/**/*.test.ts', 'src/data/normalize.test.ts', 'test/packaging/**/*.test.ts', 'test/examples/**/*.test.ts'];

/** Every test file: filed beside the module it tests (src/<floor>/x.test.ts), or in test/ when it tests the whole (architecture, docs, packaging, examples, scripts). */
export const ALL = ['src/**/*.test.ts', 'test/**/*.test.ts'];
