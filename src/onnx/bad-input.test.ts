// Corrupt .onnx bytes: decodeModel either returns a model or throws OnnxFormatError —
// never another error type, never a hang. Seeded, so a failure reproduces.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Graph, op, toModel } from '../graph/index.js';
import { OnnxFormatError, checkModel, decodeModel, encodeModel, type ModelProto } from './index.js';
import { tensorOf } from './tensor.js';
import { NODE_ROOT } from '../../test/helpers/conformance.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

/** mulberry32: a small seeded generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function builtModel(): Uint8Array {
  const g = new Graph({ name: 'victim' });
  const x = g.input('x', 'float32', ['T', 'B', 4]);
  const w = g.param('w', tensorOf('float32', Array.from({ length: 32 }, (_, i) => i / 10), [1, 8, 4]));
  const r = g.param('r', tensorOf('float32', Array.from({ length: 16 }, (_, i) => -i / 10), [1, 8, 2]));
  const { yH } = op.lstm({ x, w, r }, { hiddenSize: 2 });
  const { states } = op.scan({ initialStates: [op.reduceSum(yH, [0])], scanInputs: [yH], body: ([s], [v]) => ({ states: [op.add(s!, v!)], outputs: [] }) });
  g.output(op.sigmoid(states[0]!), 'y');
  return encodeModel(toModel(g, { metadata: { config: '{"a":1}' } }));
}

const victims: [string, Uint8Array][] = [['builder model (LSTM + Scan + metadata)', builtModel()]];
// Three of ONNX's own models join it: without Debian's libonnx-testdata the file fails, naming it.
requireSystemDependency('libonnx-testdata');
for (const t of ['test_lstm_with_initial_bias', 'test_scan9_sum', 'test_gemm_all_attributes']) {
  victims.push([t, new Uint8Array(readFileSync(`${NODE_ROOT}/${t}/model.onnx`))]);
}

/** Proper prefixes that end between top-level fields and already hold graph (7) and opset_import (8). */
function completePrefixes(bytes: Uint8Array): number[] {
  const r = protobuf.Reader.create(bytes);
  const seen = new Set<number>();
  const out: number[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    seen.add(tag >>> 3);
    r.skipType(tag & 7);
    if (r.pos < r.len && seen.has(7) && seen.has(8)) out.push(r.pos);
  }
  return out;
}

type Outcome = 'decoded' | 'format-error';

/** Decode, classifying the result; any other exception fails the test with the mutation named. */
function attempt(bytes: Uint8Array, what: string): Outcome {
  const t0 = performance.now();
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxFormatError) {
      expect(e.code).toBe('E_ONNX_FORMAT');
      return 'format-error';
    }
    throw new Error(`${what}: decodeModel threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
  expect(performance.now() - t0, `${what}: decoding took too long`).toBeLessThan(1000);
  // What does decode must not break the checker either: it reports, it does not throw.
  expect(Array.isArray(checkModel(model)), what).toBe(true);
  return 'decoded';
}

describe('decodeModel on corrupt input', () => {
  it('empty input is an OnnxFormatError', () => {
    expect(() => decodeModel(new Uint8Array(0))).toThrow(OnnxFormatError);
    expect(() => decodeModel(new Uint8Array(0))).toThrow(/empty file/);
  });

  for (const [name, bytes] of victims) {
    it(`${name}: every truncation is an OnnxFormatError, except a cut between whole fields after graph and opset_import`, () => {
      const decoded: number[] = [];
      for (let n = 1; n < bytes.length; n++) if (attempt(bytes.subarray(0, n), `truncated to ${n}/${bytes.length}`) === 'decoded') decoded.push(n);
      expect(decoded).toEqual(completePrefixes(bytes));
    });

    it(`${name}: 300 seeded mutations (bit flips, byte overwrites, deletions, insertions) decode or raise OnnxFormatError`, () => {
      const next = rng(0x5eed + bytes.length);
      const outcomes: Record<Outcome, number> = { decoded: 0, 'format-error': 0 };
      for (let k = 0; k < 300; k++) {
        const b = Uint8Array.from(bytes);
        const kind = k % 4;
        let m: Uint8Array = b;
        const at = Math.floor(next() * b.length);
        if (kind === 0) for (let f = 0; f <= Math.floor(next() * 4); f++) b[Math.floor(next() * b.length)]! ^= 1 << Math.floor(next() * 8);
        else if (kind === 1) b[at] = Math.floor(next() * 256);
        else if (kind === 2) m = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + Math.floor(next() * 8))]);
        else m = Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: 1 + Math.floor(next() * 8) }, () => Math.floor(next() * 256)), ...b.subarray(at)]);
        outcomes[attempt(m, `mutation ${k} (kind ${kind} at ${at})`)]++;
      }
      // Both outcomes occur: the mutations are neither all harmless nor all fatal.
      expect(outcomes['format-error']).toBeGreaterThan(0);
      expect(outcomes.decoded + outcomes['format-error']).toBe(300);
    });
  }

  it('200 seeded random byte strings (1 to 4096 bytes) are OnnxFormatErrors', () => {
    const next = rng(42);
    for (let k = 0; k < 200; k++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(next() * 4096) }, () => Math.floor(next() * 256));
      expect(attempt(bytes, `random bytes #${k}`)).toBe('format-error');
    }
  });

  it('text and other file formats are OnnxFormatErrors', () => {
    for (const s of ['{"not": "onnx"}', 'PK\u0003\u0004 a zip file', '\u0089PNG\r\n', 'ir_version: 8\ngraph {}']) {
      expect(attempt(new TextEncoder().encode(s), JSON.stringify(s))).toBe('format-error');
    }
  });
});
