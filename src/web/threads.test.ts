// The WASM thread policy: threads only where SharedArrayBuffer exists (cross-origin isolated),
// as many as the cores the browser reports, at most MAX_WASM_THREADS.
import { describe, expect, it } from 'vitest';
import { defaultWasmThreads, MAX_WASM_THREADS } from './threads.js';

describe('defaultWasmThreads', () => {
  it('is 1 on a page that is not cross-origin isolated, whatever the cores', () => {
    expect(defaultWasmThreads({ crossOriginIsolated: false, navigator: { hardwareConcurrency: 16 } })).toBe(1);
    expect(defaultWasmThreads({ navigator: { hardwareConcurrency: 16 } })).toBe(1);
  });

  it('follows navigator.hardwareConcurrency where isolated, capped at MAX_WASM_THREADS', () => {
    const at = (cores: number | undefined) => defaultWasmThreads({ crossOriginIsolated: true, navigator: { hardwareConcurrency: cores } });
    expect(MAX_WASM_THREADS).toBe(4);
    expect([1, 2, 3, 4, 8, 64].map(at)).toEqual([1, 2, 3, 4, 4, 4]);
    // Unknown or nonsense core counts: one thread.
    expect([undefined, 0, -2, 2.5, Number.NaN].map(at)).toEqual([1, 1, 1, 1, 1]);
  });

  it('is 1 under Node (no crossOriginIsolated there)', () => {
    expect(defaultWasmThreads()).toBe(1);
  });
});
