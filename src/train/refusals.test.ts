// What `train` refuses, as a user meets it (real CLI processes): an existing run directory
// without --force/--resume, --resume with nothing to resume, a resume with settings other than
// the checkpoint's (every difference listed; --allow-changes accepts them), and nonsense values.
// Each refusal is one coded line, a non-zero exit, and leaves the run's files as they were.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDataset } from '../data/builtin.js';
import { writeSplits } from '../data/node.js';
import { train } from './trainer.js';
import { parseCheckpointEvery } from './options.js';
import { buildCli, ROOT, runCli } from '../../test/train/cli-child.js';

const work = mkdtempSync(join(tmpdir(), 'hw-refusals-'));
const jsDir = join(ROOT, 'test-output', `refusals-${process.pid}`);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(jsDir, { recursive: true, force: true });
});
const script = buildCli(jsDir);
const data = join(work, 'data');
const run = join(work, 'run');
const SETTINGS = ['--data', data, '--layers', '1', '--hidden', '8', '--embed-dim', '8', '--epochs', '1', '--batch', '32', '--lr', '0.003', '--no-progress'];
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));

beforeAll(async () => {
  await writeSplits(data, builtinDataset({ trainSize: 160, devSize: 32, testSize: 32 }));
  const r = await runCli(script, ['train', '--out', run, ...SETTINGS, '--max-steps', '2']);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

/** One line `highway-onnx: [CODE] …` on stderr, the exit status, nothing on stdout. */
function expectRefused(r: { code: number | null; stdout: string; stderr: string }, code: string, exit: number): string {
  expect(r.code, r.stderr).toBe(exit);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l && !/Vulkan|^\s*$/.test(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^highway-onnx: \\[${code}\\] `));
  return lines[0]!;
}

describe('train refuses', () => {
  it('an existing run directory without --force or --resume, and leaves it untouched', async () => {
    const before = snapshot(run);
    const line = expectRefused(await runCli(script, ['train', '--out', run, ...SETTINGS]), 'E_RUN_EXISTS', 1);
    expect(line).toContain(run);
    expect(line).toMatch(/--resume.*--force/);
    expect(snapshot(run)).toEqual(before);
    // An empty folder, or one with unrelated files, is no run: accepted (and the files stay).
    const other = join(work, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    const ok = await runCli(script, ['train', '--out', other, ...SETTINGS, '--max-steps', '1']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(other, 'notes.txt'), 'utf8')).toBe('mine');
    // --force replaces the run: a fresh run, its old checkpoint gone.
    const forced = await runCli(script, ['train', '--out', other, ...SETTINGS, '--max-steps', '1', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).not.toMatch(/resuming/);
    expect(readFileSync(join(other, 'metrics.jsonl'), 'utf8')).toBe('');
  }, 60_000);

  it('--resume with no checkpoint: says so, starts nothing', async () => {
    const empty = join(work, 'empty');
    const line = expectRefused(await runCli(script, ['train', '--resume', '--out', empty]), 'E_NO_CHECKPOINT', 1);
    expect(line).toMatch(/no checkpoint.*holds no training run.*without --resume/);
    expect(() => readdirSync(empty)).toThrow(); // not even created
    // A run killed before its first checkpoint: named as such, with the way out.
    const early = join(work, 'early');
    mkdirSync(early);
    writeFileSync(join(early, 'metrics.jsonl'), '');
    writeFileSync(join(early, 'artifact.json'), '{}');
    const line2 = expectRefused(await runCli(script, ['train', '--resume', '--out', early]), 'E_NO_CHECKPOINT', 1);
    expect(line2).toMatch(/stopped before its first checkpoint.*--force/);
  }, 60_000);

  it('--resume with settings other than the checkpoint\'s lists every difference; --allow-changes accepts them', async () => {
    const before = snapshot(run);
    const r = await runCli(script, ['train', '--resume', '--out', run, '--batch', '7', '--lr', '0.5', '--hidden', '8', '--optimizer', 'sgd']);
    const line = expectRefused(r, 'E_RESUME_MISMATCH', 1);
    expect(line).toContain('--lr: 0.003 in the checkpoint, 0.5 now');
    expect(line).toContain('--batch: 32 in the checkpoint, 7 now');
    expect(line).toContain('--optimizer: adam in the checkpoint, sgd now');
    expect(line).not.toContain('beta1'); // another optimizer kind: only the settings both have
    expect(line).not.toContain('hidden'); // given, but equal
    expect(line).toContain('--allow-changes');
    expect(snapshot(run)).toEqual(before);
    // Other data is refused even with --allow-changes: the word ids would mean other words.
    const otherData = join(work, 'data2');
    await writeSplits(otherData, builtinDataset({ seed: 9, trainSize: 160, devSize: 32, testSize: 32 }));
    const d = expectRefused(await runCli(script, ['train', '--resume', '--out', run, '--data', otherData, '--allow-changes']), 'E_RESUME_MISMATCH', 1);
    expect(d).toMatch(/the data changed since the run began \(train: 160 examples \(sha256 [0-9a-f]{12}…\) in the run, 160 /);
    expect(d).toContain("--keep-vocab");
    // Accepted with --allow-changes, and said so.
    const copy = join(work, 'copy');
    mkdirSync(copy);
    for (const f of readdirSync(run)) writeFileSync(join(copy, f), readFileSync(join(run, f)));
    const ok = await runCli(script, ['train', '--resume', '--out', copy, '--lr', '0.01', '--allow-changes', '--max-steps', '3', '--no-progress']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('warning: resuming with changed settings (--allow-changes): --lr: 0.003 in the checkpoint, 0.01 now');
    // Raising --epochs is no change of settings: it trains further.
    const more = await runCli(script, ['train', '--resume', '--out', copy, '--epochs', '2', '--max-steps', '4', '--no-progress']);
    expect(more.code, more.stderr).toBe(0);
  }, 90_000);

  it('nonsense values, each with a coded one-line error', async () => {
    const cases: [string[], RegExp][] = [
      [['--lr', '0'], /--lr.*expected a number > 0, found '0'/],
      [['--lr', '-1'], /--lr.*expected a number > 0, found '-1'/],
      [['--lr', 'fast'], /--lr.*found 'fast'/],
      [['--batch', '0'], /--batch.*positive integer, found '0'/],
      [['--batch', '-4'], /--batch.*found '-4'/],
      [['--epochs', '0'], /--epochs.*positive integer, found '0'/],
      [['--epochs', '2.5'], /--epochs.*found '2.5'/],
      [['--patience', '0'], /--patience.*found '0'/],
      [['--clip', '-1'], /--clip.*≥ 0, found '-1'/],
      [['--momentum', '-0.5'], /--momentum.*≥ 0/],
      [['--hidden', '0'], /--hidden.*found '0'/],
      [['--max-steps', '0'], /--max-steps.*found '0'/],
    ];
    const fresh = join(work, 'never');
    await Promise.all(cases.map(async ([args, message]) => {
      const line = expectRefused(await runCli(script, ['train', '--out', fresh, ...args]), 'E_USAGE', 2);
      expect(line).toMatch(message);
    }));
    // Values the parser passes but no run can mean: refused before any work, by the trainer's own check.
    for (const [args, code, message] of [
      [['--dropout', '1'], 'E_CONFIG', /dropout must be in \[0, 1\), found 1/],
      [['--checkpoint-every', '0'], 'E_TRAIN_OPTIONS', /--checkpoint-every: expected a positive number of steps.*found '0'/],
      [['--checkpoint-every', '5 minutes'], 'E_TRAIN_OPTIONS', /found '5 minutes'/],
      [['--resume', '--force'], 'E_TRAIN_OPTIONS', /exclude each other/],
    ] as [string[], string, RegExp][]) {
      const line = expectRefused(await runCli(script, ['train', '--out', fresh, ...SETTINGS, ...args]), code, 1);
      expect(line).toMatch(message);
    }
    expect(() => readdirSync(fresh)).toThrow(); // nothing was created
  }, 90_000);

  it('the API refuses the same values (E_TRAIN_OPTIONS) before touching the output folder', async () => {
    const out = join(work, 'api');
    for (const o of [{ lr: 0 }, { lr: -1 }, { lr: Number.NaN }, { epochs: 0 }, { batchSize: -1 }, { batchSize: 1.5 }, { patience: 0 }, { maxSteps: 0 }, { checkpointEvery: { steps: 0 } }, { checkpointEvery: { seconds: -5 } }]) {
      await expect(train({ out, dataset: builtinDataset({ trainSize: 8, devSize: 2, testSize: 0 }), log: () => {}, ...o })).rejects.toMatchObject({ code: 'E_TRAIN_OPTIONS' });
    }
    expect(() => readdirSync(out)).toThrow();
    expect(parseCheckpointEvery('200')).toEqual({ steps: 200 });
    expect(parseCheckpointEvery('90s')).toEqual({ seconds: 90 });
    expect(parseCheckpointEvery('5m')).toEqual({ seconds: 300 });
    expect(parseCheckpointEvery('1.5h')).toEqual({ seconds: 5400 });
    for (const bad of ['0', '-3', '2.5', 'm', '5 min', '']) expect(() => parseCheckpointEvery(bad), bad).toThrow(/E_TRAIN_OPTIONS|--checkpoint-every/);
  }, 30_000);
});
