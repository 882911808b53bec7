// §6 of issue 10 for .onnx files: inputs that asked for unbounded time or memory end quickly
// with a coded error (or, for the checker, a linear-time answer). Crafted files are built by
// ./crafted-onnx.ts; the CLI cases spawn the real command.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkModel, MAX_SUBGRAPH_DEPTH } from './checker.js';
import { MAX_STATIC_TENSOR_BYTES } from './bounds.js';
import { decodeModel, encodeModel, OnnxFormatError } from './index.js';
import { loadModel } from '../runtime/node.js';
import { modelBytes } from '../../test/serve/helpers.js';
import { resolveConfig } from '../models/config.js';
import { buildStepGraphs } from '../train/step-graph.js';
import { paramSpecs } from '../models/init.js';
import { allocate } from './tensor.js';
import { runCli } from '../../test/loaders/cli.js';
import { int64Raw, nestedIfModel, nestedIfNode, wideScopesModel, withConstantOp, withNodeBytes } from '../../test/loaders/crafted-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'onnx-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadError(bytes: Uint8Array): Promise<Error & { code?: string }> {
  try {
    await loadModel(bytes, { device: 'cpu' });
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected the model to be refused');
}

describe('the structural checker is linear and bounded', () => {
  // 8,000 names visible to 8,000 subgraphs: 64 million set copies in the old checker (48 s);
  // the test's own timeout is the bound.
  it('8,000 names x 8,000 subgraphs: checked in one pass, nothing wrong found', () => {
    const bytes = wideScopesModel(8000, 8000);
    expect(bytes.length).toBeGreaterThan(500_000);
    expect(checkModel(decodeModel(bytes))).toEqual([]);
  }, 30_000);

  it('scoping still works: a subgraph name does not leak out, an outer one is visible inside', () => {
    const m = decodeModel(wideScopesModel(3, 2));
    expect(checkModel(m)).toEqual([]);
    m.graph!.output = [{ name: 'z' }]; // 'z' lives only inside the branches
    expect(checkModel(m)).toEqual(["graph: graph output 'z' is never produced"]);
  });

  it('stops after 100 problems instead of listing millions', () => {
    const m = decodeModel(wideScopesModel(2, 5000));
    for (const n of m.graph!.node!) n.input = ['nowhere'];
    const p = checkModel(m);
    expect(p).toHaveLength(101);
    expect(p[100]).toBe('(check stopped after 100 problems)');
  });

  it(`subgraphs nested 2,000 deep: a problem at depth ${MAX_SUBGRAPH_DEPTH + 1}, not a stack overflow`, () => {
    expect(checkModel(decodeModel(nestedIfModel(MAX_SUBGRAPH_DEPTH)))).toEqual([]);
    const p = checkModel(decodeModel(nestedIfModel(2000)));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^graph: node 0 'nest' \(If\)\..*: subgraphs are nested more than 64 deep$/);
  });

  it('nesting too deep for the protobuf decoder itself is a typed format error', () => {
    let err: unknown;
    try {
      decodeModel(nestedIfModel(50_000));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxFormatError);
    expect((err as OnnxFormatError).code).toBe('E_ONNX_FORMAT');
    expect((err as Error).message).toMatch(/nested too deeply to decode/);
  });
});

describe('sizes the file fixes are bounded at vetting', () => {
  for (const op of ['ConstantOfShape', 'Expand', 'Tile'] as const) {
    it(`${op} to 2^28 floats (1 GiB) is refused before onnxruntime allocates it`, async () => {
      const e = await loadError(withConstantOp(modelBytes, op, [16384, 16384]));
      expect(e.code).toBe('E_MODEL_LOAD');
      expect(e.message).toContain(`'bound' (${op}): its output [16384,16384] would take 1.0 GiB, over the 64.0 MiB limit`);
    });
  }

  it('a small constant of the same kind still loads and predicts', async () => {
    const p = await loadModel(withConstantOp(modelBytes, 'ConstantOfShape', [16, 16]), { device: 'cpu' });
    expect((await p.predict(['a gripping film']))[0]!.probs.length).toBe(2);
    await p.release();
  });

  it("graphs this library derives from parameter shapes are exempt: a 60,000 x 300 embedding's training step builds", () => {
    // Its gradient starts as ConstantOfShape zeros of [60000, 300] (68.7 MiB), by design.
    const config = resolveConfig({ layers: 1, vocabSize: 60_000, embedDim: 300, hidden: 4, seed: 1 });
    const params = new Map(paramSpecs(config).map((s) => [s.name, allocate('float32', s.dims)]));
    const graphs = buildStepGraphs(config, { kind: 'adam', clipNorm: 5 }, { params });
    expect(checkModel(graphs.trainStep).some((p) => /\(ConstantOfShape\): its output \[60000,300\] would take 68\.7 MiB/.test(p))).toBe(true);
    expect(checkModel(graphs.trainStep, { maxStaticTensorBytes: Infinity })).toEqual([]);
  });

  it('Range, RandomUniform, and sparse tensors with huge dense sizes are refused', () => {
    const m = decodeModel(modelBytes);
    const g = m.graph!;
    const scalar = (name: string, v: number) => ({ name, dataType: 7, dims: [], rawData: int64Raw([v]) });
    g.initializer!.push(scalar('r.start', 0), scalar('r.limit', 2 ** 40), scalar('r.delta', 1));
    g.node!.push({ opType: 'Range', name: 'range', input: ['r.start', 'r.limit', 'r.delta'], output: ['r.out'] });
    g.node!.push({ opType: 'RandomUniform', name: 'random', output: ['u.out'], attribute: [{ name: 'shape', type: 7, ints: [1 << 20, 1 << 10] }] });
    g.sparseInitializer = [{ dims: [1 << 30], values: { name: 'sparse', dataType: 1, dims: [0] }, indices: { name: 'sparse.idx', dataType: 7, dims: [0] } }];
    const p = checkModel(m);
    expect(p).toContain("graph: sparse initializer 'sparse' [1073741824] is 4.0 GiB when dense, over the 64.0 MiB limit for tensors whose size the file fixes");
    expect(p.some((s) => /'range' \(Range\): its output \[1099511627776\] would take 8192\.0 GiB/.test(s))).toBe(true);
    expect(p.some((s) => /'random' \(RandomUniform\): its output \[1048576,1024\] would take 4\.0 GiB/.test(s))).toBe(true);
    expect(MAX_STATIC_TENSOR_BYTES).toBe(64 * 2 ** 20);
  });
});

describe('metadata JSON nested 10^6 deep', () => {
  it('is a coded metadata error, not a stack overflow while describing the config', async () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    for (const key of ['highway_onnx.config', 'highway_onnx.labels']) {
      const m = decodeModel(modelBytes);
      const p = m.metadataProps!.find((x) => x.key === key)!;
      p.value = key.endsWith('config') ? p.value!.replace(/"layers":\d+/, `"layers":${deep}`) : `[${deep}]`;
      const e = await loadError(encodeModel(m));
      expect(e.code).toBe('E_MODEL_METADATA');
      expect(e.message).toBe(`metadata key '${key}' nests JSON 1000001 deep, over the limit of 16`);
    }
  });
});

describe('the CLI ends these files with one coded line', () => {
  it('predict, inspect and import-onnx on a ConstantOfShape bomb and on 2,000-deep subgraphs', async () => {
    const bomb = join(dir, 'bomb.onnx');
    writeFileSync(bomb, withConstantOp(modelBytes, 'ConstantOfShape', [16384, 16384]));
    const deep = join(dir, 'deep.onnx');
    writeFileSync(deep, withNodeBytes(modelBytes, nestedIfNode(2000, 'lengths', 'nest.y')));
    const [a, b, c, d] = await Promise.all([
      runCli(['predict', '--model', bomb, 'a gripping film']),
      runCli(['predict', '--model', deep, 'a gripping film']),
      runCli(['inspect', deep]),
      runCli(['import-onnx', '--model', bomb, '--out', join(dir, 'imported')]),
    ]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^highway-onnx: \[E_MODEL_LOAD\] .*\(ConstantOfShape\): its output \[16384,16384\] would take 1\.0 GiB/);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^highway-onnx: \[E_MODEL_LOAD\] .*subgraphs are nested more than 64 deep/);
    expect(`${c.stdout}${c.stderr}`).toMatch(/subgraphs are nested more than 64 deep/);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/^highway-onnx: \[E_ONNX_CHECK\] ONNX model failed the structural check:\n.*\(ConstantOfShape\): its output \[16384,16384\] would take 1\.0 GiB/);
    expect(`${a.stderr}${b.stderr}${c.stderr}${d.stderr}`).not.toMatch(/Maximum call stack/);
  }, 60_000);
});
