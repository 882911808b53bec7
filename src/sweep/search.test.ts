// The search plan (grid and random over depth, hidden, lr, dropout, gate bias), the status
// summary and the queue URL check: pure functions, checked against hand-computed answers.
import { describe, expect, it } from 'vitest';
import { parseDim, searchConfigs, searchPlan, type SearchSpace, type SearchSpec } from './search.js';
import { queueConnection } from './connection.js';
import { settingsFromFlags } from '../cli/experiment.js';
import { summarize, formatStatus, type CellJob, type SweepJobs } from './status.js';
import { startCli } from '../../test/sweep/procs.js';

const list = (...values: number[]): SearchSpace[keyof SearchSpace] => ({ kind: 'list', values });
const space: SearchSpace = { depth: list(1, 2), hidden: list(8), lr: list(0.001, 0.01), dropout: list(0.2, 0.5), gateBias: list(-1) };

describe('search plans', () => {
  it('grid: the Cartesian product, last dimension fastest, ids c01…', () => {
    const configs = searchConfigs({ mode: 'grid', space, budget: null, seed: 1 });
    expect(configs).toHaveLength(2 * 2 * 2);
    expect(configs[0]).toEqual({ id: 'c01', depth: 1, hidden: 8, lr: 0.001, dropout: 0.2, gateBias: -1 });
    expect(configs[1]).toEqual({ id: 'c02', depth: 1, hidden: 8, lr: 0.001, dropout: 0.5, gateBias: -1 });
    expect(configs[7]).toEqual({ id: 'c08', depth: 2, hidden: 8, lr: 0.01, dropout: 0.5, gateBias: -1 });
    expect(new Set(configs.map((c) => `${c.depth}/${c.lr}/${c.dropout}`)).size).toBe(8);
  });

  it('grid with a budget: a seeded subset in grid order, the same for the same seed', () => {
    const a = searchConfigs({ mode: 'grid', space, budget: 3, seed: 7 });
    const b = searchConfigs({ mode: 'grid', space, budget: 3, seed: 7 });
    const full = searchConfigs({ mode: 'grid', space, budget: null, seed: 7 }).map(({ id: _id, ...c }) => JSON.stringify(c));
    expect(a).toEqual(b);
    expect(a).toHaveLength(3);
    const idx = a.map(({ id: _id, ...c }) => full.indexOf(JSON.stringify(c)));
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([...idx].sort((x, y) => x - y)).toEqual(idx);
  });

  it('random: budget draws inside the ranges (lr log-uniform, sizes integral), reproducible from the seed', () => {
    const spec: SearchSpec = {
      mode: 'random',
      budget: 40,
      seed: 3,
      space: {
        depth: parseDim('1,2,4', '--depths', { integer: true }),
        hidden: parseDim('8..64', '--hidden', { integer: true }),
        lr: parseDim('1e-4..1e-1', '--lr', { log: true }),
        dropout: parseDim('0.1..0.5', '--dropout'),
        gateBias: parseDim('-3..-1', '--gate-bias'),
      },
    };
    const a = searchConfigs(spec);
    expect(a).toEqual(searchConfigs(spec));
    expect(a).not.toEqual(searchConfigs({ ...spec, seed: 4 }));
    expect(a).toHaveLength(40);
    for (const c of a) {
      expect([1, 2, 4]).toContain(c.depth);
      expect(Number.isInteger(c.hidden) && c.hidden >= 8 && c.hidden <= 64).toBe(true);
      expect(c.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr).toBeLessThanOrEqual(1e-1);
      expect(c.dropout).toBeGreaterThanOrEqual(0.1);
      expect(c.gateBias).toBeLessThanOrEqual(-1);
    }
    // Log-uniform over 3 decades: about a third of the draws in each decade, so some below 1e-3
    // (a uniform draw would put 1% there).
    expect(a.filter((c) => c.lr < 1e-3).length).toBeGreaterThan(4);
    expect(a[0]!.id).toBe('c01');
  });

  it('refuses what cannot work, with the flag named', () => {
    expect(() => searchConfigs({ mode: 'grid', space: { ...space, lr: parseDim('1e-4..1e-2', '--lr', { log: true }) }, budget: null, seed: 1 })).toThrow(/--lr: a grid search takes lists/);
    expect(() => searchConfigs({ mode: 'random', space, budget: null, seed: 1 })).toThrow(/needs --budget/);
    expect(() => searchConfigs({ mode: 'random', space: { ...space, depth: list(1), lr: list(0.01), dropout: list(0.2) }, budget: 2, seed: 1 })).toThrow(/fewer distinct configurations/);
    expect(() => parseDim('0..1', '--lr', { log: true })).toThrow(/log-uniformly/);
    expect(() => parseDim('2,x', '--hidden', { integer: true })).toThrow(/--hidden: 'x' is not a number/);
    expect(() => parseDim('1.5', '--depths', { integer: true })).toThrow(/not a positive integer/);
    try {
      parseDim('5..1', '--dropout');
      expect.unreachable();
    } catch (e) {
      expect((e as { code?: string }).code).toBe('E_EXPERIMENT_CONFIG');
    }
  });

  it('searchPlan: every configuration × seed, highway cells with the configuration\'s settings', () => {
    const { settings } = settingsFromFlags({ quick: true, seeds: '1,2', gateBias: '-1', dropout: 0.4, lr: 0.003, batch: 32, progress: false, gradients: false });
    const plan = searchPlan('s', settings, { mode: 'grid', space, budget: null, seed: 1 });
    expect(plan.cells).toHaveLength(16);
    const c = plan.cells.find((p) => p.cell.id === 'c08-s2')!;
    expect(c.cell).toEqual({ id: 'c08-s2', depth: 2, kind: 'highway', seed: 2, gateBias: -1 });
    expect(c.settings).toMatchObject({ hidden: 8, lr: 0.01, dropout: 0.5, depths: [2], epochs: 1, embedDim: 16 });
    expect(() => searchPlan('s', settings, { mode: 'grid', space: { ...space, dropout: list(1.5) }, budget: null, seed: 1 })).toThrow(/outside \[0, 1\)/);
  });
});

describe('sweep status', () => {
  const job = (depth: number, processedOn?: number, finishedOn?: number): CellJob =>
    ({ data: { cell: { id: `d${depth}`, depth } }, processedOn, finishedOn, failedReason: 'boom', attemptsMade: 3 }) as unknown as CellJob;

  it('counts and an ETA from the finished cells\' seconds per unit of cost (1.5 + depth)', () => {
    const now = 100_000;
    // Finished: depth 1 took 5 s (cost 2.5) → 2 s per unit. Queued: depth 2 (cost 3.5) and depth 4 (5.5);
    // running: depth 1 for 1 s (cost 2.5 − 0.5 left). Two running/queued in parallel → (7 + 11 + 4) / 2 = 11 s.
    const jobs: SweepJobs = { name: 'x', done: [job(1, 0, 5000)], queued: [job(2), job(4)], running: [job(1, now - 1000)], failed: [job(8)] };
    const s = summarize(jobs, 2, now);
    expect(s).toMatchObject({ total: 5, done: 1, queued: 2, running: 1, failed: 1, workers: 2 });
    expect(s.etaSeconds).toBeCloseTo(11, 6);
    expect(s.failures).toEqual([{ cell: 'd8', reason: 'boom', attempts: 3 }]);
    expect(formatStatus(s)).toBe('sweep x: 1/5 done, 1 running, 2 queued, 1 failed | 2 workers | ETA 11s');
    expect(summarize({ ...jobs, done: [] }, 2, now).etaSeconds).toBeNull();
    expect(formatStatus(summarize({ ...jobs, queued: [], running: [] }, null, now))).toBe('sweep x: 1/2 done, 0 running, 0 queued, 1 failed | ? workers | finished');
  });
});

describe('queue URLs', () => {
  it('accepts redis:// and rediss://, refuses anything else with E_SWEEP_QUEUE', () => {
    expect(queueConnection('redis://127.0.0.1:6379')).toMatchObject({ url: 'redis://127.0.0.1:6379', maxRetriesPerRequest: null });
    expect(queueConnection('rediss://u:p@h:1/2')).toMatchObject({ url: 'rediss://u:p@h:1/2' });
    expect(() => queueConnection('http://127.0.0.1:6379')).toThrow(/expected a redis:\/\/ or rediss:\/\/ URL, found 'http/);
    expect(() => queueConnection('127.0.0.1:6379')).toThrow(/expected a URL like redis:\/\/127.0.0.1:6379/);
  });

  it('the worker command prints one line with the code for a bad URL', async () => {
    const p = startCli(['worker', '--queue', 'http://127.0.0.1:1']);
    expect(await p.exited).toBe(1);
    expect(p.output().trim()).toBe("highway-onnx: [E_SWEEP_QUEUE] --queue: expected a redis:// or rediss:// URL, found 'http://127.0.0.1:1'");
  });
});
