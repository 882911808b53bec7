// `inspect` on a run trained with --eval-every and --select-by macro-f1: it shows how the best
// checkpoint was chosen (the checkpoint's run record), at which step, with which macro-F1, and
// counts the evaluations inside epochs; the expected values come from the run's metrics.jsonl.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inProcess } from '../../test/cli/in-process.js';
import { train } from '../train/trainer.js';
import { builtinDataset } from '../data/builtin.js';

const out = mkdtempSync(join(tmpdir(), 'hw-inspect-select-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('inspect on a run with --eval-every and --select-by macro-f1', () => {
  it('shows the selection settings, the best step and its macro-F1, and the evaluations inside epochs', async () => {
    const dataset = builtinDataset({ trainSize: 96, devSize: 48, testSize: 32 });
    await train({
      out, dataset, epochs: 2, batchSize: 8, lr: 0.05, seed: 3, evalEvery: 4, selectBy: 'macro-f1', maxSteps: 10, log: () => {},
      model: { layers: 1, embedDim: 8, hidden: 4, dropout: 0.1 },
    });
    const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number; devAccuracy: number; devMacroF1: number; best: boolean })
      .filter((r) => r.type === 'eval');
    expect(evals.map((e) => e.step)).toEqual([4, 8]);
    const best = evals.filter((e) => e.best).at(-1)!;
    const r = await inProcess(['inspect', out]);
    expect(r.code).toBe(0);
    const at = `best dev accuracy ${(100 * best.devAccuracy).toFixed(2)}% (macro-F1 ${best.devMacroF1.toFixed(4)}) at step ${best.step}`;
    expect(r.stdout).toContain(`best.safetensors: 10 tensor(s)`);
    expect(r.stdout).toMatch(new RegExp(`checkpoint\\.safetensors: .*, step 10, epoch 1, ${at.replace(/[().]/g, '\\$&')}\\n    selection   dev every 4 steps and at epoch ends \\(--eval-every\\); best by macro-F1\\n`));
    expect(r.stdout).toContain('metrics.jsonl: 0 epoch(s), 2 dev evaluation(s) inside epochs');
  }, 60_000);
});
