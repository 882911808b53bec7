// npm run experiment:twin end to end on a small data set. With dropout off, both frameworks
// start from the same weights and see the same batches, so the comparison harness itself is
// checked: our training losses and dev accuracies must follow PyTorch's (float32 rounding only).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDataset } from '../data/builtin.js';
import { writeSplits } from '../data/files.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'highway-twin-'));
  await writeSplits(path.join(tmp, 'data'), builtinDataset({ trainSize: 320, devSize: 64, testSize: 64 }));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Cell { framework: string; bestDevAccuracy: number; testAccuracy: number; epochs: { trainLoss: number; devAccuracy: number }[] }

describe('npm run experiment:twin', () => {
  it('ours and the PyTorch twin train identically without dropout; results.md has the table', async () => {
    requireSystemDependency('python3-torch'); // scripts/torch/train_twin.py, run by scripts/twin-compare.ts
    const out = path.join(tmp, 'out');
    const args = ['--data', path.join(tmp, 'data'), '--depths', '2', '--seeds', '3', '--epochs', '3', '--dropout', '0', '--embed-dim', '16', '--hidden', '8', '--batch', '16', '--lr', '0.02', '--threads', '1', '--out', out];
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/twin-compare.ts'), ...args], { cwd: root, timeout: 150_000 }, (err, _o, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()));
    });
    const { cells } = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as { cells: Cell[] };
    const ours = cells.find((c) => c.framework === 'ours')!;
    const twin = cells.find((c) => c.framework === 'pytorch')!;
    expect(ours.epochs).toHaveLength(3);
    expect(twin.epochs).toHaveLength(3);
    // Training moved (loss down, dev accuracy off the 50% of a constant guess) and both
    // frameworks followed the same trajectory.
    expect(ours.epochs[2]!.trainLoss).toBeLessThan(ours.epochs[0]!.trainLoss - 0.05);
    expect(ours.bestDevAccuracy).toBeGreaterThan(0.6);
    for (let e = 0; e < 3; e++) {
      expect(Math.abs(ours.epochs[e]!.trainLoss - twin.epochs[e]!.trainLoss)).toBeLessThan(1e-4 * twin.epochs[e]!.trainLoss + 1e-5);
      expect(ours.epochs[e]!.devAccuracy).toBe(twin.epochs[e]!.devAccuracy);
    }
    expect(ours.testAccuracy).toBe(twin.testAccuracy);
    const md = await readFile(path.join(out, 'results.md'), 'utf8');
    expect(md).toContain('| depth | seeds | ours dev | ours test | PyTorch dev | PyTorch test |');
    expect(md).toMatch(/\| 2 \| 3 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| \+0\.0 \|/);
  }, 180_000);
});
