// The --quick grid end to end (built-in data, depths 1 and 2, one seed, one epoch, small
// model) into a temporary directory; then a rerun that must skip every finished cell.
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentMain } from '../cli/experiment.js';
import type { ExperimentSummary } from './runner.js';
import type { GradientReport } from './analysis.js';
import { parseXml, findAll, coordinateValues } from '../../test/charts/xml.js';

let tmp: string;
let out: string;
let first: ExperimentSummary;
const logs: string[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'highway-experiment-'));
  out = path.join(tmp, 'quick');
  first = (await experimentMain(['node', 'experiment', '--quick', '--out', out, '--no-progress'], { log: (l) => logs.push(l) }))!;
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('npm run experiment -- --quick', () => {
  it('trains the 4 cells (depths 1, 2 × plain, highway × 1 seed)', () => {
    expect(first.ran).toBe(4);
    expect(first.skipped).toBe(0);
    expect(first.failed).toEqual([]);
    expect(first.results.map((r) => r.id).sort()).toEqual(['d01-highway-s1', 'd01-plain-s1', 'd02-highway-s1', 'd02-plain-s1']);
    for (const r of first.results) {
      expect(r.epochs).toHaveLength(1);
      expect(r.bestDevAccuracy).toBeGreaterThan(0);
      expect(r.testAccuracy).not.toBeNull();
      expect(r.params).toBeGreaterThan(0);
    }
    // Highway adds gate (and layer-1 carry) weights to the same BiLSTM stack.
    const params = (id: string): number => first.results.find((r) => r.id === id)!.params;
    expect(params('d02-highway-s1')).toBeGreaterThan(params('d02-plain-s1'));
    expect(logs.some((l) => /\[sweep 4\/4 \| elapsed .* \| ETA .*\] d02-highway-s1/.test(l))).toBe(true);
  });

  it('writes results.csv with one row per cell', async () => {
    const lines = (await readFile(path.join(out, 'results.csv'), 'utf8')).trim().split('\n');
    const header = lines[0]!.split(',');
    expect(header).toContain('test_accuracy');
    expect(lines).toHaveLength(1 + 4);
    for (const line of lines.slice(1)) {
      const row = Object.fromEntries(line.split(',').map((v, i) => [header[i], v]));
      expect(['plain', 'highway']).toContain(row.kind);
      expect(Number(row.best_dev_accuracy)).toBeGreaterThan(0);
      expect(Number(row.best_dev_accuracy)).toBeLessThanOrEqual(1);
      expect(Number.isInteger(Number(row.params))).toBe(true);
    }
  });

  it('writes results.md with the depth × {plain, highway} table', async () => {
    const md = await readFile(path.join(out, 'results.md'), 'utf8');
    expect(md).toMatch(/\| depth \| plain dev \| plain test \| highway dev \| highway test \| params plain \| params highway \| time plain \| time highway \|/);
    const rows = md.split('\n').filter((l) => /^\| \d+ \|/.test(l));
    expect(rows.map((r) => r.split('|')[1]!.trim())).toEqual(['1', '2']);
    for (const r of rows) expect(r.split('|').slice(2, 6).every((c) => /^\s*\d+\.\d\s*$/.test(c))).toBe(true);
    expect(md).toContain('![accuracy vs depth](accuracy-vs-depth.svg)');
    expect(md).toContain('![gradient norms](gradients.svg)');
  });

  it('draws the charts: accuracy vs depth (2 curves per panel), curves per cell, gradient norms', async () => {
    const series = async (file: string): Promise<string[]> => {
      const root = parseXml(await readFile(path.join(out, file), 'utf8'));
      for (const v of coordinateValues(root)) expect(v).not.toMatch(/NaN|Infinity/);
      return findAll(root, (e) => e.name === 'g' && e.attrs.class === 'series').map((g) => g.attrs['data-name']!);
    };
    expect(await series('accuracy-vs-depth.svg')).toEqual(['plain BiLSTM', 'Highway BiLSTM', 'plain BiLSTM', 'Highway BiLSTM']);
    // Per depth: a loss panel and a dev-accuracy panel, one line per (kind, seed).
    expect(await series('curves.svg')).toHaveLength(2 * 2 * 2);
    // Norms: plain and highway at init and trained; gates: highway at init and trained.
    expect(await series('gradients.svg')).toHaveLength(4 + 2);
  });

  it('measures per-layer gradient norms and gate activations at the deepest depth', async () => {
    const g = JSON.parse(await readFile(path.join(out, 'gradients.json'), 'utf8')) as GradientReport;
    expect(g.depth).toBe(2);
    expect(g.runs.map((r) => r.kind)).toEqual(['plain', 'highway']);
    for (const r of g.runs) {
      for (const m of [r.init, r.trained]) {
        expect(m.lstmGradNorm).toHaveLength(2);
        for (const v of [...m.lstmGradNorm, ...m.layerGradNorm, m.embeddingGradNorm, m.outputGradNorm]) {
          expect(Number.isFinite(v) && v > 0).toBe(true);
        }
        if (r.kind === 'highway') {
          // Gate bias −1 and small weights: T(x) starts near σ(−1) ≈ 0.27.
          expect(m.gateMean).toHaveLength(2);
          for (const v of m.gateMean!) expect(v).toBeGreaterThan(0.05);
          for (const v of m.gateMean!) expect(v).toBeLessThan(0.6);
        } else expect(m.gateMean).toBeNull();
        expect(m.layerGradNorm[0]!).toBeGreaterThanOrEqual(m.lstmGradNorm[0]! * (1 - 1e-6));
      }
    }
  });

  it('skips finished cells on a rerun (resume-safe) and keeps the results', async () => {
    const before = await stat(path.join(out, 'cells', 'd01-plain-s1.json'));
    const again = (await experimentMain(['node', 'experiment', '--quick', '--out', out, '--no-progress'], { log: () => {} }))!;
    expect(again.ran).toBe(0);
    expect(again.skipped).toBe(4);
    expect((await stat(path.join(out, 'cells', 'd01-plain-s1.json'))).mtimeMs).toBe(before.mtimeMs);
    expect((await readdir(path.join(out, 'cells'))).filter((f) => f.endsWith('.json'))).toHaveLength(4);
  }, 60_000);

  it('refuses to mix budgets in one directory', async () => {
    await expect(experimentMain(['node', 'experiment', '--quick', '--epochs', '2', '--out', out], { log: () => {} })).rejects.toThrow(/different budget/);
  });
});
