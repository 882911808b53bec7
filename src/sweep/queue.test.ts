// Sweeps over a real redis-server with 2–3 worker processes on tiny cells: a worker killed
// with kill -9 mid-cell (another takes the cell over from its epoch checkpoint), Redis
// restarted mid-sweep (workers reconnect; every cell completes once), a cell with bad
// hyperparameters (failed after a bounded number of tries) — and each report checked against
// the same sweep run in one process.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentMain } from '../cli/experiment.js';
import type { CellResult } from '../experiment/results.js';
import { planFromFlags } from '../cli/sweep-flags.js';
import { runLocalSweep } from './run.js';
import { startRedis, type RedisServer } from '../../test/sweep/redis.js';
import { startCli, startScript, stopProc, type Proc } from '../../test/sweep/procs.js';

// 4 cells (depths 1, 2 × plain, highway), 2 epochs each: a checkpoint to resume from.
const GRID = ['--quick', '--epochs', '2', '--threads', '1', '--no-gradients'];
// A short lock so a killed worker's cell is taken over within seconds (default 30 s).
const WORKER = ['--lock-ms', '10000', '--stalled-ms', '1000'];

let tmp: string;
let redis: RedisServer;
const procs: Proc[] = [];
const worker = (): Proc => {
  const p = startCli(['worker', '--queue', redis.url, ...WORKER]);
  procs.push(p);
  return p;
};
const sweep = (args: string[]): Proc => {
  const p = startCli(['sweep', '--queue', redis.url, '--poll-ms', '200', ...args]);
  procs.push(p);
  return p;
};
const allWorkerOutput = (): string => procs.map((p) => p.output()).join('\n');

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'highway-sweep-'));
  redis = await startRedis(tmp);
  // The reference: the same grid in one process (npm run experiment).
  await experimentMain(['node', 'experiment', ...GRID, '--no-progress', '--out', path.join(tmp, 'local')], { log: () => undefined });
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p)));
  await redis?.stop();
  await rm(tmp, { recursive: true, force: true });
}, 60_000);

/** Cell records without what legitimately differs between runs (timings, finish time). */
async function cellNumbers(dir: string): Promise<Record<string, unknown>[]> {
  const names = (await readdir(path.join(dir, 'cells'))).filter((n) => n.endsWith('.json')).sort();
  const out: Record<string, unknown>[] = [];
  for (const n of names) {
    const { wallSeconds: _w, trainSeconds: _t, finishedAt: _f, epochs, ...rest } = JSON.parse(await readFile(path.join(dir, 'cells', n), 'utf8')) as CellResult;
    out.push({ ...rest, epochs: epochs.map(({ seconds: _s, tokensPerSecond: _tps, ...e }) => e) });
  }
  return out;
}

/** results.md without the command line and the time columns; results.csv without timings. */
async function reportNumbers(dir: string): Promise<{ md: string; csv: string }> {
  const md = (await readFile(path.join(dir, 'results.md'), 'utf8'))
    .split('\n')
    .filter((l) => !l.startsWith('Command'))
    .map((l) => (l.startsWith('| ') ? l.split('|').filter((_, i) => i !== 8 && i !== 9).join('|') : l))
    .join('\n');
  const csv = (await readFile(path.join(dir, 'results.csv'), 'utf8'))
    .split('\n')
    .map((l) => l.split(',').filter((_, i) => i !== 11 && i !== 12).join(','))
    .join('\n');
  return { md, csv };
}

async function expectSameAsLocal(dir: string): Promise<void> {
  const local = path.join(tmp, 'local');
  const cells = await cellNumbers(dir);
  expect(cells.map((c) => c.id)).toEqual(['d01-highway-s1', 'd01-plain-s1', 'd02-highway-s1', 'd02-plain-s1']);
  expect(cells).toEqual(await cellNumbers(local));
  expect(await reportNumbers(dir)).toEqual(await reportNumbers(local));
  for (const svg of ['accuracy-vs-depth.svg', 'curves.svg']) {
    expect(await readFile(path.join(dir, svg), 'utf8')).toBe(await readFile(path.join(local, svg), 'utf8'));
  }
}

describe('sweeps on BullMQ workers over redis-server', () => {
  let survivor: Proc;

  it('kill -9 of a worker mid-cell: another worker takes the cell over from its last epoch checkpoint; the report equals the one-process run', async () => {
    const a = worker();
    const b = worker();
    await Promise.all([a.waitFor(/waiting for cells/, 30_000), b.waitFor(/waiting for cells/, 30_000)]);
    const s = sweep([...GRID, '--out', path.join(tmp, 'kill')]);
    // Logged as a cell starts its second epoch from the first one's checkpoint.
    const resumed = /\] kill\/(d\d\d-\w+-s1): +\1: epoch 2 of 2, from the epoch-1 checkpoint/;
    const hit = await Promise.race([a.waitFor(resumed, 90_000).then((m) => ({ m, victim: a, other: b })), b.waitFor(resumed, 90_000).then((m) => ({ m, victim: b, other: a }))]);
    hit.victim.child.kill('SIGKILL');
    const cell = hit.m[1]!;
    survivor = hit.other;
    expect(await s.exited).toBe(0);
    expect(await hit.victim.exited).toBeNull(); // killed, not finished
    // The cell was not done when the victim died, and the survivor resumed it at epoch 2.
    expect(hit.victim.output()).not.toMatch(new RegExp(`kill/${cell}: done`));
    expect(survivor.output()).toMatch(new RegExp(`kill/${cell}: start \\(attempt 2, taken over after 1 stall\\)`));
    expect(survivor.output()).toMatch(new RegExp(`kill/${cell}: +resuming ${cell} from its last checkpoint \\(epoch 1 of 2 done\\)`));
    expect(s.output()).toMatch(/sweep kill: 4\/4 done, 0 running, 0 queued, 0 failed/);
    // The sweep command showed the status live while it ran.
    expect(s.output()).toMatch(/sweep kill: [0-3]\/4 done, [12] running, \d queued, 0 failed \| \d workers? \| ETA/);
    await expectSameAsLocal(path.join(tmp, 'kill'));
  }, 180_000);

  it('Redis restarted mid-sweep (npm run experiment -- --queue): workers reconnect, no cell is lost or completed twice; the report equals the one-process run', async () => {
    const c = worker();
    await c.waitFor(/waiting for cells/, 30_000);
    const s = startScript('scripts/experiment.ts', ['--queue', redis.url, ...GRID, '--out', path.join(tmp, 'restart')]);
    procs.push(s);
    await s.waitFor(/^ {2}d\d\d-\w+-s1 done \(/m, 90_000);
    await redis.stop();
    // Mid-sweep: with Redis down no further cell can be recorded as done.
    expect(s.output()).not.toMatch(/sweep restart: 4\/4 done/);
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    expect(await s.exited).toBe(0);
    const logs = allWorkerOutput();
    for (const cell of ['d01-plain-s1', 'd01-highway-s1', 'd02-plain-s1', 'd02-highway-s1']) {
      expect(logs.match(new RegExp(`\\] restart/${cell}: done in`, 'g')) ?? []).toHaveLength(1);
    }
    await expectSameAsLocal(path.join(tmp, 'restart'));
    // Both workers are still serving the queue after the restart.
    expect(survivor.child.exitCode).toBeNull();
    expect(c.child.exitCode).toBeNull();
  }, 180_000);

  it('a search cell with bad hyperparameters fails after its bounded tries, with its error; the rest finishes, the best configuration is reported as in one process', async () => {
    const args = ['--search', 'grid', '--quick', '--lr', '0.003,1e38', '--depths', '1', '--threads', '1', '--attempts', '2'];
    const s = sweep([...args, '--out', path.join(tmp, 'search')]);
    expect(await s.exited).toBe(1);
    expect(s.output()).toMatch(/c02-s1 FAILED after 2 tries: loss became NaN/);
    expect(allWorkerOutput().match(/\] search\/c02-s1: FAILED \(attempt \d\)/g)).toHaveLength(2);
    expect(s.output()).toMatch(/best configuration c01: depth 1, hidden 8, lr 0.003, dropout 0.4, gate bias -1/);
    const md = await readFile(path.join(tmp, 'search', 'results.md'), 'utf8');
    expect(md).toMatch(/\*\*Best configuration: c01\*\* \(depth 1, hidden 8, lr 0.003, dropout 0.4, gate bias -1\)/);
    expect(md).toMatch(/- c02-s1: loss became NaN/);

    // The same search in one process: the same ranking table and chart.
    const { plan, out, search } = planFromFlags({ ...{ batch: 32, searchSeed: 1, search: 'grid', quick: true, lr: '0.003,1e38', depths: '1', threads: 1 }, out: path.join(tmp, 'search-local') });
    const local = await runLocalSweep({ plan, out, search: search!, log: () => undefined });
    expect(local.failed.map((f) => f.cell)).toEqual(['c02-s1']);
    const table = (t: string): string[] => t.split('\n').filter((l) => l.startsWith('| 1 |')).map((l) => l.split('|').filter((_, i) => i !== 11).join('|'));
    expect(table(md)).toEqual(table(await readFile(path.join(out, 'results.md'), 'utf8')));
    expect(table(md)).toHaveLength(1);
    expect(await readFile(path.join(tmp, 'search', 'search.svg'), 'utf8')).toBe(await readFile(path.join(out, 'search.svg'), 'utf8'));

    // sweep status: every sweep of the queue, the failure with its reason.
    const st = startCli(['sweep', 'status', '--queue', redis.url]);
    expect(await st.exited).toBe(0);
    expect(st.output()).toMatch(/sweep kill: 4\/4 done, 0 running, 0 queued, 0 failed \| 2 workers \| finished/);
    expect(st.output()).toMatch(/sweep restart: 4\/4 done, 0 running, 0 queued, 0 failed/);
    expect(st.output()).toMatch(/sweep search: 1\/2 done, 0 running, 0 queued, 1 failed/);
    expect(st.output()).toMatch(/failed c02-s1 after 2 tries: loss became NaN/);
  }, 180_000);
});
