import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/data/rng.js';

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
