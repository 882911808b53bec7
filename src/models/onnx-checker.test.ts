// The second, independent checker: onnx.checker.check_model(full_check=True) from the
// system's python3-onnx, through scripts/check_onnx.py.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildClassifier, classifierModel } from './classifier.js';
import { resolveConfig } from './config.js';
import { toModel } from '../graph/index.js';
import { encodeModel, type ModelProto } from '../onnx/index.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

const SCRIPT = join(import.meta.dirname, '../../scripts/check_onnx.py');

function check(models: Record<string, ModelProto>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'highway-onnx-check-'));
  try {
    const paths = Object.entries(models).map(([name, m]) => {
      const p = join(dir, `${name}.onnx`);
      writeFileSync(p, encodeModel(m));
      return p;
    });
    requireSystemDependency('python3-onnx');
    const r = spawnSync('/usr/bin/python3', [SCRIPT, ...paths], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('onnx.checker full_check', () => {
  const base = { hidden: 8, embedDim: 12, vocabSize: 50, layers: 2 };

  it('accepts 2-layer highway and plain models (and the other carries, and a training graph)', () => {
    const training = buildClassifier(resolveConfig({ ...base, carry: 'zero-pad' }), { training: true, outputs: true });
    const r = check({
      highway: classifierModel(resolveConfig({ ...base, carry: 'projection' }), { vocab: Array.from({ length: 50 }, (_, i) => `t${i}`) }),
      plain: classifierModel(resolveConfig({ ...base, kind: 'plain' })),
      zeropad: classifierModel(resolveConfig({ ...base, carry: 'zero-pad' })),
      identity: classifierModel(resolveConfig({ ...base, embedDim: 16, carry: 'identity' })),
      training: toModel(training.graph),
    });
    expect(r.out).not.toMatch(/FAIL/);
    expect(r.status).toBe(0);
    expect(r.out.match(/^ok /gm)).toHaveLength(5);
  }, 60_000);

  it('rejects a model whose declared output shape contradicts inference', () => {
    const m = classifierModel(resolveConfig(base));
    m.graph!.output![0]!.type!.tensorType!.shape!.dim![1] = { dimValue: 7 }; // logits really have 2 classes
    const r = check({ broken: m });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/FAIL .*broken\.onnx/);
  }, 60_000);
});
