// worker_threads (issue 18 item 11): terminating a worker while onnxruntime runs aborts the whole
// process (a native exception, exit 134). The documented way out: abort the prediction with its
// AbortSignal (the running batch finishes), await release(), then terminate. Run in a child
// process, so a crash would show as its exit status rather than take the test runner down.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('a Predictor in a worker thread', () => {
  it('stops mid-prediction when asked (E_ABORTED), releases, and the worker terminates without taking the process down', () => {
    const parent = fileURLToPath(new URL('../../test/runtime/worker-stop/parent.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', parent], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.signal).toBeNull();
    expect(r.stdout).toContain('worker outcome: E_ABORTED');
  }, 150_000);
});
