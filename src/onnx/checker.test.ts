// The structural checker: each rule catches a hand-broken model, and every conformance
// model that onnxruntime runs passes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Graph, op, toModel } from '../graph/index.js';
import { OnnxCheckError, assertValidModel, checkModel, decodeModel, encodeModel, type ModelProto } from './index.js';
import { tensorOf } from './tensor.js';
import { DATA_ROOT, hasConformanceData, requireConformanceData, listAllModelDirs } from '../../test/helpers/conformance.js';

/** x -> Relu -> Sigmoid -> y, with a weight initializer and a Scan; a fresh copy each call. */
function good(): ModelProto {
  const g = new Graph({ name: 'ok' });
  const x = g.input('x', 'float32', [3, 2]);
  const w = g.param('w', tensorOf('float32', [1, 2, 3, 4], [2, 2]));
  const h = op.sigmoid(op.relu(op.matMul(x, w)));
  const scale = op.reduceMax(w, [0]);
  const { states } = op.scan({
    initialStates: [op.reduceSum(h, [0])],
    scanInputs: [h],
    // The body reads `scale` from the enclosing graph.
    body: ([s], [row]) => ({ states: [op.add(s!, op.mul(row!, scale))], outputs: [] }),
  });
  g.output(states[0]!, 'y');
  return decodeModel(encodeModel(toModel(g)));
}

const problemsOf = (mutate: (m: ModelProto) => void): string[] => {
  const m = good();
  mutate(m);
  return checkModel(m);
};

describe('checkModel', () => {
  it('accepts a well-formed model built by the builder (with a Scan body capturing an outer value)', () => {
    expect(checkModel(good())).toEqual([]);
    expect(() => assertValidModel(good())).not.toThrow();
  });

  it('an input that is never defined', () => {
    const p = problemsOf((m) => (m.graph!.node![1]!.input![0] = 'nowhere'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/input 'nowhere' is not defined before use/);
  });

  it('nodes out of topological order', () => {
    const p = problemsOf((m) => m.graph!.node!.reverse());
    expect(p.some((s) => /not defined before use \(missing or out of topological order\)/.test(s))).toBe(true);
  });

  it('two nodes writing the same output name', () => {
    const p = problemsOf((m) => {
      const [a, b] = m.graph!.node!;
      b!.output![0] = a!.output![0]!;
    });
    expect(p.some((s) => /is defined more than once \(output of /.test(s))).toBe(true);
  });

  it('a node output that reuses a graph input or initializer name', () => {
    expect(problemsOf((m) => (m.graph!.node![0]!.output![0] = 'x')).some((s) => /'x' is defined more than once/.test(s))).toBe(true);
    expect(problemsOf((m) => (m.graph!.node![0]!.output![0] = 'w')).some((s) => /'w' is defined more than once/.test(s))).toBe(true);
  });

  it('a Scan body that shadows an outer name', () => {
    const p = problemsOf((m) => {
      const scan = m.graph!.node!.find((n) => n.opType === 'Scan')!;
      scan.attribute!.find((a) => a.name === 'body')!.g!.node![0]!.output![0] = 'x';
    });
    expect(p.some((s) => /\(Scan\)\.body: 'x' is defined more than once/.test(s))).toBe(true);
  });

  it('a missing opset import, and a node whose domain has none', () => {
    expect(problemsOf((m) => (m.opsetImport = []))).toContain('model has no opset_import');
    const p = problemsOf((m) => (m.graph!.node![0]!.domain = 'com.microsoft'));
    expect(p.some((s) => /domain 'com.microsoft' has no opset_import/.test(s))).toBe(true);
  });

  it('an initializer whose data does not match its shape', () => {
    const p = problemsOf((m) => (m.graph!.initializer!.find((t) => t.name === 'w')!.dims = [2, 3]));
    expect(p.some((s) => /initializer 'w' has shape \[2,3\] \(6 values\) but holds 4/.test(s))).toBe(true);
    const q = problemsOf((m) => {
      const w = m.graph!.initializer!.find((t) => t.name === 'w')!;
      w.rawData = undefined;
      w.floatData = [1, 2, 3];
    });
    expect(q.some((s) => /initializer 'w' has shape \[2,2\] \(4 values\) but holds 3/.test(s))).toBe(true);
  });

  it('a graph output that nothing produces; a repeated node name; no ir_version; no graph', () => {
    expect(problemsOf((m) => (m.graph!.output![0]!.name = 'ghost'))).toContain("graph: graph output 'ghost' is never produced");
    expect(problemsOf((m) => (m.graph!.node![1]!.name = m.graph!.node![0]!.name)).some((s) => /node name is not unique/.test(s))).toBe(true);
    expect(problemsOf((m) => (m.irVersion = 0))).toContain('model has no ir_version');
    expect(problemsOf((m) => (m.graph = null))).toContain('model has no graph');
  });

  it('assertValidModel throws OnnxCheckError listing every problem', () => {
    const m = good();
    m.graph!.node![1]!.input![0] = 'nowhere';
    m.opsetImport = [];
    let err: unknown;
    try {
      assertValidModel(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxCheckError);
    expect((err as OnnxCheckError).problems.length).toBeGreaterThanOrEqual(2);
    expect((err as OnnxCheckError).code).toBe('E_ONNX_CHECK');
    expect((err as Error).message).toMatch(/nowhere/);
  });

  it('sparse initializers define their names; complex initializers count two entries per element', () => {
    const m = good();
    m.graph!.sparseInitializer = [{ values: { name: 'sp', dims: [1], dataType: 1, floatData: [1] }, indices: { dims: [1], dataType: 7, int64Data: [0] }, dims: [4] }];
    m.graph!.node![0]!.input![0] = 'sp';
    m.graph!.initializer!.push({ name: 'cplx', dims: [2], dataType: 14, floatData: [1, 2, 3, 4] });
    expect(checkModel(m)).toEqual([]);
  });
});

describe('checkModel on the conformance data', () => {
  requireConformanceData();
  it('passes every model that onnxruntime runs (only onnxruntime-rejected ones may be flagged)', () => {
    const known = (JSON.parse(readFileSync(new URL('../../test/onnx/ort-known-failures.json', import.meta.url), 'utf8')) as { failures: Record<string, unknown> }).failures;
    const flagged: string[] = [];
    let checked = 0;
    for (const dir of listAllModelDirs()) {
      const key = dir.slice(DATA_ROOT.length + 1);
      const problems = checkModel(decodeModel(readFileSync(`${dir}/model.onnx`)));
      checked++;
      if (problems.length > 0 && !(key in known)) flagged.push(`${key}: ${problems.join('; ')}`);
    }
    expect(flagged).toEqual([]);
    expect(checked).toBeGreaterThan(900);
  });
});
