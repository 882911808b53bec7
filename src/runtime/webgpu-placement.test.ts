// The README's table of where the graphs run on WebGPU comes from scripts/webgpu-placement.ts
// (onnxruntime's verbose placement log). This runs it on a small model, as a user would, so an
// onnxruntime upgrade that moves nodes (e.g. a WebGPU Scan kernel) shows up here.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePlacementLog } from '../../scripts/webgpu-placement.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('scripts/webgpu-placement.ts', () => {
  it('parses onnxruntime placement blocks and the reasons it logs', () => {
    const log = [
      '2026 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 2',
      '2026 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 1',
      '2026 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Scan (grad.layer1.LSTM.Scan)',
      '2026 [I:onnxruntime:, webgpu_execution_provider.cc:665 GetCapability] webgpu kernel not found in registries for Op type: Scan node name: grad.layer1.LSTM.Scan',
    ].join('\n');
    const { blocks, reasons } = parsePlacementLog(log);
    expect(blocks).toEqual([
      { provider: 'WebGpuExecutionProvider', count: 2, nodes: [] },
      { provider: 'CPUExecutionProvider', count: 1, nodes: [{ op: 'Scan', name: 'grad.layer1.LSTM.Scan' }] },
    ]);
    expect(reasons.get('grad.layer1.LSTM.Scan')).toMatch(/no WebGPU kernel/);
  });

  it('reports the inference and train-step placement on this adapter: the LSTM backward Scans on CPU', () => {
    requireSystemDependency('libvulkan1', 'chromium-common');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/webgpu-placement.ts'), '--layers', '1', '--hidden', '4', '--embed-dim', '8', '--vocab', '50'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const inference = /\*\*inference\*\*: (\d+) nodes on WebGPU, (\d+) on CPU/.exec(r.stdout);
    const step = /\*\*train step\*\*: (\d+) nodes on WebGPU, (\d+) on CPU/.exec(r.stdout);
    expect(Number(inference?.[1])).toBeGreaterThan(10);
    expect(Number(step?.[1])).toBeGreaterThan(100);
    // One backward Scan per direction of the one layer: onnxruntime's WebGPU provider has no Scan.
    expect(r.stdout).toMatch(/\| train step \| Scan \| 2 \|/);
    expect(r.stdout).toMatch(/\| inference \| (Range|Less|Transpose) \|/);
  }, 120_000);
});
