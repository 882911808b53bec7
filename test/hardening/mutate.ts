// Seeded mutations of real files, and the rule every user-facing loader must keep: it returns,
// or throws an Error subclass carrying a code ('E_…'), within a time bound. Nothing else.
import { expect } from 'vitest';
import { Rng } from '../../src/data/rng.js';

/** Seeded uniform floats in [0, 1): the project's own generator (mulberry32). */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.nextFloat();
}

export const MUTATION_KINDS = [
  'truncate', 'bit-flips', 'byte-overwrite', 'delete-slice', 'duplicate-slice', 'oversize-append', 'header-garbage', 'huge-integer',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0x7b, 0x22, 0x3a];

/** The k-th mutation of `bytes` (kinds in rotation); `head` is the span treated as the header. */
export function mutate(bytes: Uint8Array, k: number, next: () => number, head = Math.min(bytes.length, 256)): { kind: MutationKind; bytes: Uint8Array } {
  const kind = MUTATION_KINDS[k % MUTATION_KINDS.length]!;
  const int = (n: number): number => Math.floor(next() * n);
  const b = Uint8Array.from(bytes);
  switch (kind) {
    case 'truncate':
      return { kind, bytes: b.subarray(0, int(b.length)) };
    case 'bit-flips':
      for (let f = 1 + int(8); f > 0; f--) b[int(b.length)]! ^= 1 << int(8);
      return { kind, bytes: b };
    case 'byte-overwrite':
      for (let f = 1 + int(4); f > 0; f--) b[int(b.length)] = next() < 0.5 ? INTERESTING[int(INTERESTING.length)]! : int(256);
      return { kind, bytes: b };
    case 'delete-slice': {
      const at = int(b.length);
      return { kind, bytes: Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + int(64))]) };
    }
    case 'duplicate-slice': {
      const at = int(b.length);
      const end = Math.min(b.length, at + 1 + int(256));
      return { kind, bytes: Uint8Array.from([...b.subarray(0, end), ...b.subarray(at)]) };
    }
    case 'oversize-append': {
      // Trailing garbage or a second copy: the file is larger than its structure says.
      const extra = next() < 0.5 ? Uint8Array.from({ length: 1 + int(64 * 1024) }, () => int(256)) : bytes;
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      return { kind, bytes: out };
    }
    case 'header-garbage':
      for (let f = 1 + int(6); f > 0; f--) b[int(head)] = int(256);
      return { kind, bytes: b };
    case 'huge-integer': {
      // A length, offset or count field pushed to an absurd value: 0xff… over 4 or 8 bytes.
      const at = next() < 0.5 ? int(head) : int(b.length);
      for (let i = 0; i < (next() < 0.5 ? 4 : 8) && at + i < b.length; i++) b[at + i] = i === 7 ? 0x7f : 0xff;
      return { kind, bytes: b };
    }
  }
}

export interface FuzzTally {
  tried: number;
  ok: number;
  /** Typed failures by code. */
  errors: Record<string, number>;
  byKind: Record<string, number>;
  slowestMs: number;
}

export const newTally = (): FuzzTally => ({ tried: 0, ok: 0, errors: {}, byKind: {}, slowestMs: 0 });

/**
 * Runs one attempt: resolves 'ok' or records the typed error; anything else (an untyped error,
 * a plain Error, a TypeError from deep inside a parser) fails the test naming the mutation.
 */
export async function attempt(tally: FuzzTally, label: string, kind: string, f: () => Promise<unknown>, limitMs = 5000): Promise<void> {
  const t0 = performance.now();
  tally.tried++;
  tally.byKind[kind] = (tally.byKind[kind] ?? 0) + 1;
  try {
    await f();
    tally.ok++;
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    const typed = e instanceof Error && e.constructor !== Error && typeof code === 'string' && /^E_[A-Z_]+$/.test(code);
    if (!typed) throw new Error(`${label} (${kind}): untyped failure ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    expect((e as Error).message.length, `${label}: empty message`).toBeGreaterThan(10);
    tally.errors[code] = (tally.errors[code] ?? 0) + 1;
  }
  const ms = performance.now() - t0;
  tally.slowestMs = Math.max(tally.slowestMs, ms);
  expect(ms, `${label} (${kind}) took ${ms.toFixed(0)} ms`).toBeLessThan(limitMs);
}

/** FUZZ_SCALE=10 for a longer standalone run (the counts are printed). */
export const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
