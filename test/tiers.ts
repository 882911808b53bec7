// The three tiers of the suite, by what a test file needs (vitest projects; `npm run test:unit` and
// friends). unit: in-process, onnxruntime-node on CPU and plain files — the tier a developer runs
// after each edit. integration: child processes (the CLI, Python/PyTorch, kill -9), sockets,
// Redis, WebGPU on SwiftShader, multi-minute training. e2e: a real Chromium, a Vite build or a
// packed tarball installed into a fresh project. A file not named here is a unit test, so a new
// slow test shows up in `test:unit`'s time until it is filed under its tier.

/** Test files (globs from the repository root) that spawn processes, open sockets or train for long. */
export const INTEGRATION = [
  'test/cli/**/*.test.ts',
  // test/serve's batcher and fair-queue tests are in-process (unit); the rest start a server.
  'test/serve/abuse.test.ts',
  'test/serve/readiness.test.ts',
  'test/serve/reload.test.ts',
  'test/serve/server.test.ts',
  'test/serve/sigterm.test.ts',
  'test/serve/swap.test.ts',
  'test/serve/mount.test.ts',
  'test/serve/text-model.test.ts',
  'test/sweep/**/*.test.ts',
  'test/loaders/**/*.test.ts',
  'test/security/**/*.test.ts',
  'test/evaluate/**/*.test.ts',
  'test/hardening/kill9.test.ts',
  'test/hardening/device.test.ts',
  'test/train/interrupt.test.ts',
  'test/train/kill-sites.test.ts',
  'test/train/refusals.test.ts',
  'test/train/trainer.test.ts',
  'test/experiment/quick.test.ts',
  'test/experiment/twin-compare.test.ts',
  'test/experiment/fetch-data.test.ts',
  'test/runtime/backend-matrix.test.ts',
  'test/runtime/worker-threads.test.ts',
  'test/runtime/webgpu-placement.test.ts',
  'test/interop/import-cli.test.ts',
  'test/interop/import-heads.test.ts',
  'test/interop/import-heads-cli.test.ts',
  'test/interop/pickle.test.ts',
  'test/autodiff/torch-grad.test.ts',
  'test/onnx/roundtrip.test.ts',
  'test/models/onnx-checker.test.ts',
  'test/export/quantize.test.ts',
  'test/docs/readme-examples.test.ts',
  'test/data/rng.test.ts',
  'test/interop/checkpoints.test.ts',
  'test/interop/export-text-rules.test.ts',
  'test/train/atomic-write.test.ts',
  'test/optim/lazy-embedding.test.ts',
  'test/onnx/dtypes.test.ts',
];

/** Test files that drive a real browser, a bundler or a packed install. */
export const E2E = ['test/web/**/*.test.ts', 'test/data/normalize.test.ts', 'test/export/browser.test.ts', 'test/packaging/**/*.test.ts', 'test/examples/**/*.test.ts'];

/** Every test file. */
export const ALL = ['test/**/*.test.ts'];
