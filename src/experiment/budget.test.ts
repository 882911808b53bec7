// A resumed sweep with another budget is refused, and the refusal names each setting that
// differs by its flag (the recorded and the asked value), not two JSON blobs to diff by eye.
// Real files: the first sweep's experiment.json is written by the runner's own record writer.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { experimentMain, settingsFromFlags } from '../cli/experiment.js';
import { writeExperimentRecord } from './runner.js';
import { budgetDifferences } from './grid.js';
import { builtinDataset } from '../data/builtin.js';

const flags = { gateBias: '-1:8,-2', dropout: 0.4, lr: 0.003, batch: 32, progress: false, gradients: true, quick: true };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('a sweep resumed with another budget', () => {
  it('is refused before any cell trains, naming --eval-every and its two values', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hw-budget-'));
    dirs.push(out);
    const first = settingsFromFlags({ ...flags, out, evalEvery: 40, optimizer: 'adamw', weightDecay: 0.01 }).settings;
    await writeExperimentRecord(out, first, builtinDataset({ trainSize: 32, devSize: 16, testSize: 16 }), { dataLabel: 'built-in data' });
    const recorded = readFileSync(join(out, 'experiment.json'), 'utf8');
    const argv = ['node', 'experiment', '--quick', '--out', out, '--no-progress', '--optimizer', 'adamw', '--weight-decay', '0.01'];
    await expect(experimentMain([...argv, '--eval-every', '20'], { log: () => {} })).rejects.toMatchObject({
      code: 'E_EXPERIMENT_CONFIG',
      message: `${out} holds a sweep with a different budget (--eval-every: 40 in the sweep, 20 now). Cells would not be comparable: choose another --out or the same settings.`,
    });
    await expect(experimentMain(argv, { log: () => {} })).rejects.toThrow(/\(--eval-every: 40 in the sweep, epoch ends only now\)/);
    expect(readFileSync(join(out, 'experiment.json'), 'utf8')).toBe(recorded);
  });

  it('names each differing setting, optimizer fields by their own flags', () => {
    const s = (extra: object) => settingsFromFlags({ ...flags, ...extra }).settings;
    expect(budgetDifferences(s({ optimizer: 'adamw', weightDecay: 0.01 }), s({ optimizer: 'adam', weightDecay: 0.01, epochs: 2, carry: 'identity' }))).toEqual([
      '--epochs: 1 in the sweep, 2 now',
      '--patience: 1 in the sweep, 2 now',
      '--optimizer: "adamw" in the sweep, "adam" now',
      '--carry: the default in the sweep, "identity" now',
    ]);
    expect(budgetDifferences(s({ evalEvery: 5 }), s({ evalEvery: 5 }))).toEqual([]);
  });
});
