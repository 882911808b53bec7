// `train --embedding-update lazy`: the run trains with SparseAdam's embedding update and records
// it in artifact.json, so a resume keeps it; a combination torch has no counterpart for is one
// coded line. Real CLI processes (tsx), a tiny model on the built-in data.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTsxCli } from '../../test/helpers/tsx-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-embedding-update-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = runTsxCli;

const tiny = ['--layers', '1', '--hidden', '4', '--embed-dim', '8', '--epochs', '1', '--max-steps', '3', '--no-progress'];

describe('train --embedding-update', () => {
  it('lazy: trains and records the lazy update in artifact.json', async () => {
    const out = join(dir, 'lazy');
    const r = await cli(['train', ...tiny, '--out', out, '--embedding-update', 'lazy']);
    expect(r.code, r.stderr).toBe(0);
    const artifact = JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8')) as { optimizer?: { embeddingUpdate?: string } };
    expect(JSON.stringify(artifact)).toContain('"embeddingUpdate":"lazy"');
  }, 120_000);

  it('lazy with sgd or adamw is one coded line and exit 1', async () => {
    for (const optimizer of ['sgd', 'adamw']) {
      const r = await cli(['train', ...tiny, '--out', join(dir, optimizer), '--optimizer', optimizer, '--embedding-update', 'lazy']);
      expect(r.code).toBe(1);
      const lines = r.stderr.trimEnd().split('\n').filter((l) => !/Vulkan|^\s*$/.test(l));
      expect(lines.at(-1)).toMatch(/^highway-onnx: \[E_OPTIMIZER_SPEC\] .*lazy/);
    }
  }, 120_000);
});
