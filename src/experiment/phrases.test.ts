// The sweep with --phrases on a small tree data set written here: phrase examples for
// training, whole sentences for dev/test, --kinds restricting and later growing the grid,
// and the budget key that keeps phrase and sentence sweeps apart.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentMain, settingsFromFlags } from '../cli/experiment.js';
import { budgetKey, cells, ExperimentConfigError, parseKinds } from './grid.js';
import type { ExperimentRecord } from './results.js';

const flags = { gateBias: '-1:8,-2', dropout: 0.4, lr: 0.003, batch: 32, progress: false, gradients: false };
let tmp: string;
let trees: string;

// 6 training trees → 6 sentences, 18 non-neutral phrases (counted by hand below).
const TRAIN = [
  '(3 (2 It) (4 (2 is) (4 (3 a) (4 gem))))', // 3, 4, 4, 3, 4 → 5
  '(1 (2 A) (1 (1 dull) (2 film)))', // 1, 1, 1 → 3
  '(4 (4 (4 great) (2 fun)) (2 .))', // 4, 4, 4 → 3
  '(0 (0 awful) (2 .))', // 0, 0 → 2
  '(3 (3 good) (2 film))', // 3, 3 → 2
  '(1 (2 not) (1 (1 bad)))', // 1, 1, 1 → 3
].join('\n');

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'highway-phrases-'));
  trees = path.join(tmp, 'trees');
  await mkdir(trees);
  await writeFile(path.join(trees, 'train.txt'), `${TRAIN}\n`);
  await writeFile(path.join(trees, 'dev.txt'), '(3 (3 good) (2 fun))\n(1 (1 dull) (2 .))\n(2 (2 so) (2 so))\n');
  await writeFile(path.join(trees, 'test.txt'), '(4 (4 great) (2 film))\n(0 (0 awful) (2 film))\n');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('sweep settings with --phrases and --kinds', () => {
  it('phrases: its own default output and budget key; sweeps recorded without the option keep theirs', () => {
    const p = settingsFromFlags({ ...flags, phrases: true, data: trees });
    expect(p.out).toBe(path.join('experiments', 'sst2-phrases-depth'));
    expect(p.settings.phrases).toBe(true);
    expect(budgetKey(p.settings)).toMatchObject({ phrases: true });
    const s = settingsFromFlags({ ...flags, data: trees });
    expect(s.settings.phrases).toBeUndefined();
    expect(Object.keys(budgetKey(s.settings))).not.toContain('phrases');
    expect(() => settingsFromFlags({ ...flags, phrases: true, builtin: true })).toThrow(ExperimentConfigError);
  });

  it('kinds: a subset of plain, highway; the grid keeps its order', () => {
    expect(parseKinds('highway')).toEqual(['highway']);
    expect(parseKinds('highway,plain')).toEqual(['plain', 'highway']);
    expect(() => parseKinds('gated')).toThrow(/--kinds: expected a list of plain, highway, found 'gated'/);
    const { settings } = settingsFromFlags({ ...flags, builtin: true, depths: '1,4', seeds: '1', kinds: 'highway' });
    expect(cells(settings).map((c) => c.id)).toEqual(['d01-highway-s1', 'd04-highway-s1']);
  });
});

describe('npm run experiment -- --phrases (small trees)', () => {
  const base = ['node', 'experiment', '--phrases', '--depths', '1', '--seeds', '1', '--epochs', '1', '--embed-dim', '8', '--hidden', '4', '--batch', '4', '--no-progress', '--no-gradients'];

  it('trains on phrases, scores sentences, and a rerun with the other kind adds only its cells', async () => {
    const out = path.join(tmp, 'sweep');
    const logs: string[] = [];
    const first = (await experimentMain([...base, '--data', trees, '--out', out, '--kinds', 'highway'], { log: (l) => logs.push(l) }))!;
    expect(first.ran).toBe(1);
    expect(first.results.map((r) => r.id)).toEqual(['d01-highway-s1']);
    const record = JSON.parse(await readFile(path.join(out, 'experiment.json'), 'utf8')) as ExperimentRecord;
    // 18 labelled non-neutral phrases in training; dev: 2 non-neutral sentences; test: 2.
    expect(record.dataSizes).toEqual({ train: 18, dev: 2, test: 2 });
    expect(record.settings).toMatchObject({ phrases: true, kinds: ['highway'] });
    expect(logs.some((l) => l.includes('data: 18 train / 2 dev / 2 test'))).toBe(true);
    // 18 phrases in batches of 4: 5 steps in the one epoch.
    expect(first.results[0]!.epochs[0]!.steps).toBe(5);

    const second = (await experimentMain([...base, '--data', trees, '--out', out, '--kinds', 'plain'], { log: () => undefined }))!;
    expect([second.ran, second.skipped]).toEqual([1, 0]);
    expect(second.results.map((r) => r.id).sort()).toEqual(['d01-highway-s1', 'd01-plain-s1']);
    const grown = JSON.parse(await readFile(path.join(out, 'experiment.json'), 'utf8')) as ExperimentRecord;
    expect(grown.settings.kinds).toBeUndefined();
    expect(await readFile(path.join(out, 'results.md'), 'utf8')).toContain('(18 train phrases: every labelled node of the training trees / 2 dev / 2 test sentences)');

    // The same directory without --phrases is another budget: refused.
    await expect(experimentMain(['node', 'experiment', '--data', trees, '--out', out, '--depths', '1', '--seeds', '1', '--epochs', '1', '--embed-dim', '8', '--hidden', '4', '--batch', '4', '--no-progress', '--no-gradients']))
      .rejects.toThrow(/holds a sweep with a different budget/);
  }, 120_000);
});
