import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Rng } from './rng.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

describe('Rng', () => {
  it('is deterministic per seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(new Rng(43).nextUint32()).not.toBe(xs[0]);
  });

  it('matches the reference mulberry32 stream', () => {
    // Reference implementation (public domain, Tommy Ettinger), seed 1.
    let s = 1;
    const ref = () => {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const r = new Rng(1);
    for (let i = 0; i < 100; i++) expect(r.nextFloat()).toBe(ref());
  });

  it('checkpoints through state()/fromState()', () => {
    const a = new Rng(7);
    for (let i = 0; i < 10; i++) a.normal();
    const b = Rng.fromState(a.state());
    expect([a.nextFloat(), a.nextInt(10), a.normal()]).toEqual([b.nextFloat(), b.nextInt(10), b.normal()]);
    expect(() => Rng.fromState(-1)).toThrow(RangeError);
    expect(() => new Rng(Number.NaN)).toThrow(RangeError);
  });

  it('draws in range', () => {
    const r = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
      const k = r.nextInt(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
    expect(() => r.nextInt(0)).toThrow(RangeError);
  });

  it('gives roughly standard normals', () => {
    const r = new Rng(11);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const mean = xs.reduce((a, b) => a + b) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it('shuffles in place into a permutation', () => {
    const arr = Array.from({ length: 50 }, (_, i) => i);
    const out = new Rng(5).shuffle(arr);
    expect(out).toBe(arr);
    expect([...arr].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(arr).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('forks independent streams deterministically', () => {
    const a = new Rng(9).fork();
    const b = new Rng(9).fork();
    expect(a.nextUint32()).toBe(b.nextUint32());
  });
});

describe('Rng: seed 0 (PyTorch users seed with 0)', () => {
  it('follows the reference mulberry32 from state 0, computed independently in Python', () => {
    requireSystemDependency('python3');
    const py = spawnSync('/usr/bin/python3', ['-c', [
      's = 0',
      'out = []',
      'for _ in range(8):',
      '    s = (s + 0x6D2B79F5) & 0xFFFFFFFF',
      '    t = s',
      '    t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF',
      '    t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF',
      '    out.append((t ^ (t >> 14)) & 0xFFFFFFFF)',
      'print(" ".join(map(str, out)))',
    ].join('\n')], { encoding: 'utf8' });
    expect(py.status).toBe(0);
    const ref = py.stdout.trim().split(' ').map(Number);
    const r = new Rng(0);
    expect(Array.from({ length: 8 }, () => r.nextUint32())).toEqual(ref);
  });

  it('gives a good stream: uniform buckets, no serial correlation, normals N(0, 1), unrelated to seed 1', () => {
    const N = 200_000;
    const r = new Rng(0);
    const xs = Array.from({ length: N }, () => r.nextFloat());
    // The first draws are not degenerate (a zero state yields no run of zeros or repeats).
    expect(new Set(xs.slice(0, 1000)).size).toBe(1000);
    expect(Math.min(...xs.slice(0, 10))).toBeGreaterThan(0);
    // Chi-square over 100 buckets (99 degrees of freedom): 99 ± 14; above 160 has p < 1e-5.
    const counts = new Array<number>(100).fill(0);
    for (const x of xs) counts[Math.floor(x * 100)]!++;
    const chi2 = counts.reduce((a, c) => a + (c - N / 100) ** 2 / (N / 100), 0);
    expect(chi2).toBeLessThan(160);
    // Lag-1 serial correlation of a good stream is within a few / sqrt(N) ≈ 0.002 of 0.
    const mean = xs.reduce((a, b) => a + b, 0) / N;
    let num = 0;
    let den = 0;
    for (let i = 0; i < N; i++) {
      den += (xs[i]! - mean) ** 2;
      if (i > 0) num += (xs[i]! - mean) * (xs[i - 1]! - mean);
    }
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(num / den)).toBeLessThan(0.01);
    const g = new Rng(0);
    const zs = Array.from({ length: 50_000 }, () => g.normal());
    const zm = zs.reduce((a, b) => a + b, 0) / zs.length;
    const zv = zs.reduce((a, b) => a + (b - zm) ** 2, 0) / zs.length;
    expect(Math.abs(zm)).toBeLessThan(0.03);
    expect(Math.abs(zv - 1)).toBeLessThan(0.03);
    // Seed 0 is not seed 1 shifted: no shared value in their first 10 000 draws.
    const one = new Rng(1);
    const firstOfOne = new Set(Array.from({ length: 10_000 }, () => one.nextUint32()));
    const zero = new Rng(0);
    let shared = 0;
    for (let i = 0; i < 10_000; i++) if (firstOfOne.has(zero.nextUint32())) shared++;
    expect(shared).toBeLessThan(3); // 10⁴·10⁴/2³² ≈ 0.02 chance collisions
  });
  it('fillBernoulli draws exactly what nextFloat() < p draws, and leaves the generator where it would', () => {
    // Dropout masks of every existing run and checkpoint come from the per-draw loop: the fast
    // fill must be the same stream, including at thresholds that are not multiples of 2^-32.
    for (const p of [0.5, 0.25, 0.3, 0.1, 1e-9, 0.999999, 0, 1, 2 ** -32, 1 - 2 ** -32, 0.7]) {
      for (const seed of [0, 1, 0xffffffff, 123456789]) {
        const slow = new Rng(seed);
        const fast = new Rng(seed);
        const expected = Float32Array.from({ length: 5000 }, () => (slow.nextFloat() < p ? -1 : 3));
        const got = fast.fillBernoulli(new Float32Array(5000), p, -1, 3);
        expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer)), `p=${p} seed=${seed}`).toBe(true);
        expect(fast.state()).toBe(slow.state());
      }
    }
    // A threshold between two consecutive 32-bit draws: u < p·2^32 must round the way nextFloat() does.
    const u = new Rng(7).nextUint32();
    for (const p of [u / 2 ** 32, (u + 0.5) / 2 ** 32, (u + 1) / 2 ** 32]) {
      expect(new Rng(7).fillBernoulli(new Float32Array(1), p, 1, 0)[0]).toBe(new Rng(7).nextFloat() < p ? 1 : 0);
    }
  });
});
