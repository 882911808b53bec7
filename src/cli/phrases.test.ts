// `highway-onnx train --phrases` and `eval` on SST trees, through the real CLI process.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTsxCli, type CliResult } from '../../test/helpers/tsx-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-phrases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trees = join(dir, 'trees');
mkdirSync(trees);
// 18 non-neutral labelled nodes, 17 distinct (phrase, label) pairs: "bad" (1) occurs twice.
writeFileSync(join(trees, 'train.txt'), [
  '(3 (2 It) (4 (2 is) (4 (3 a) (4 gem))))',
  '(1 (2 A) (1 (1 dull) (2 film)))',
  '(4 (4 (4 great) (2 fun)) (2 .))',
  '(0 (0 awful) (2 .))',
  '(3 (3 good) (2 film))',
  '(1 (2 not) (1 (1 bad)))',
].join('\n'));
writeFileSync(join(trees, 'dev.txt'), '(3 (3 good) (2 fun))\n(1 (1 dull) (2 .))\n(2 (2 so) (2 so))\n');
writeFileSync(join(trees, 'test.txt'), '(4 (4 great) (2 film))\n(0 (0 awful) (2 -LRB-) (2 film) (2 -RRB-))\n');
const sentences = join(dir, 'sentences');
mkdirSync(sentences);
for (const s of ['train', 'dev', 'test']) writeFileSync(join(sentences, `${s}.txt`), 'a good film ||| 3\na bad film ||| 1\n');

/** The CLI's output, less the Vulkan loader's warning that onnxruntime prints on machines without a GPU. */
async function cli(args: string[]): Promise<CliResult> {
  const r = await runTsxCli(args);
  return { ...r, stderr: r.stderr.replace(/^Warning: Couldn't load Vulkan.*\n.*\n\n?/m, '') };
}

const small = ['--epochs', '1', '--layers', '1', '--hidden', '4', '--embed-dim', '8', '--batch', '4', '--no-progress'];

describe('highway-onnx train --phrases', () => {
  it('trains on every labelled phrase, scores whole sentences, records it in the artifact; eval reads the tree file', async () => {
    const out = join(dir, 'run');
    const r = await cli(['train', '--data', trees, '--phrases', '--out', out, ...small]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('data: 18 train / 2 dev / 2 test');
    const summary = JSON.parse(r.stdout.trim()) as { testAccuracy: number; epochs: number };
    expect(summary.epochs).toBe(1);
    const artifact = JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8')) as { hyperparameters: Record<string, unknown> };
    expect(artifact.hyperparameters.phrases).toBe('all');
    // The test split through eval: the tree file is detected and scored on its 2 sentences,
    // with the accuracy the trainer reported for the same weights.
    const e = await cli(['eval', '--model', join(out, 'model.onnx'), '--file', join(trees, 'test.txt'), '--json']);
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout.trim()) as { accuracy: number; examples: number };
    expect(ev.examples).toBe(2);
    expect(ev.accuracy).toBe(summary.testAccuracy);
  }, 120_000);

  it('--distinct-phrases keeps one example per (phrase, label); --format trees is accepted', async () => {
    const r = await cli(['train', '--data', trees, '--format', 'trees', '--distinct-phrases', '--out', join(dir, 'distinct'), ...small]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('data: 17 train / 2 dev / 2 test');
  }, 120_000);

  it('refuses --phrases on sentence files with one coded line', async () => {
    const r = await cli(['train', '--data', sentences, '--phrases', '--out', join(dir, 'refused'), ...small]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([`highway-onnx: [E_DATA_OPTION] phrase-level training needs SST trees (format 'trees'); the data in ${sentences} is format 'sst'`]);
  }, 120_000);
});
