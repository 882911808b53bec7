// §7 of issue 10: a state dict holding a NaN or infinite weight is refused at import, naming
// the tensor, instead of writing an .onnx that every loader then refuses. The .pt is written
// by PyTorch itself (Debian's python3-torch); the .safetensors by our writer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { modelBytes } from '../../test/serve/helpers.js';
import { runCli } from '../../test/loaders/cli.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'nan-import-'));
const weights = join(dir, 'w.safetensors');
const cfg = join(dir, 'cfg.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const model = join(dir, 'model.onnx');
  writeFileSync(model, modelBytes);
  const r = await runCli(['export-torch', '--model', model, '--out', weights, '--config-out', cfg]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}, 60_000);

/** The exported twin state dict with `edit` applied to one tensor's values. */
function editedTensors(key: string, edit: (v: Float32Array) => void): Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(weights)));
  const out = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
  for (const [k, t] of tensors) out.set(k, { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.data as Float32Array) });
  edit(out.get(key)!.data);
  return out;
}

describe('non-finite weights are refused at import', () => {
  it('a torch.save state dict with NaNs (written by PyTorch): import-torch names the tensor and writes nothing', async () => {
    const tensors = editedTensors('layer1.bilstm.weight_ih_l0', (v) => {
      v[3] = NaN;
      v[8] = NaN;
    });
    const json = join(dir, 'sd.json');
    writeFileSync(json, JSON.stringify(Object.fromEntries([...tensors].map(([k, t]) => [k, { shape: t.shape, values: [...t.data].map((x) => (Number.isNaN(x) ? 'nan' : x)) }]))));
    const pt = join(dir, 'nan.pt');
    requireSystemDependency('python3-torch');
    const py = spawnSync(PYTHON, ['-c', `
import json, sys, collections, torch
sd = json.load(open(sys.argv[1]))
out = collections.OrderedDict((k, torch.tensor([float(x) for x in v['values']], dtype=torch.float32).reshape(v['shape'])) for k, v in sd.items())
torch.save(out, sys.argv[2])
`, json, pt], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const out = join(dir, 'nan.onnx');
    const r = await runCli(['import-torch', '--weights', pt, '--config', cfg, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "highway-onnx: [E_TORCH_MAP] state_dict tensor 'layer1.bilstm.weight_ih_l0' [12, 6] holds 2 NaN value(s) (first at flat index 3); a model with non-finite weights predicts NaN, so nothing was written. Export the weights from a checkpoint taken before training diverged\n",
    );
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('an infinite value in a safetensors file, and two bad tensors at once', async () => {
    const one = editedTensors('output.weight', (v) => (v[0] = -Infinity));
    const file = join(dir, 'inf.safetensors');
    writeFileSync(file, writeSafetensors(one));
    const two = editedTensors('output.bias', (v) => (v[1] = Infinity));
    two.get('embedding.weight')!.data[5] = NaN;
    const file2 = join(dir, 'two.safetensors');
    writeFileSync(file2, writeSafetensors(two));
    const [a, b, ok] = await Promise.all([
      runCli(['import-torch', '--weights', file, '--config', cfg, '--out', join(dir, 'inf.onnx')]),
      runCli(['import-torch', '--weights', file2, '--config', cfg, '--out', join(dir, 'two.onnx')]),
      runCli(['import-torch', '--weights', weights, '--config', cfg, '--out', join(dir, 'ok.onnx')]),
    ]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^highway-onnx: \[E_TORCH_MAP\] state_dict tensor 'output.weight' \[2, 6\] holds 1 infinite value\(s\) \(first at flat index 0\)/);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^highway-onnx: \[E_TORCH_MAP\] state_dict tensor 'embedding.weight' \[19, 6\] holds 1 NaN value\(s\) \(first at flat index 5\) \(and 1 more tensor\(s\): 'output.bias'\)/);
    expect(ok.code).toBe(0);
  }, 60_000);
});
