// The README's library snippets are excerpts of examples/api/*.ts (each block follows an
// `<!-- example: examples/api/NAME.ts -->` line), and those files run: tsx executes each as a
// user would and its output is checked. `npm test`'s tsc pass type-checks them (tsconfig
// includes examples/), so a snippet that stops compiling or running fails here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The README's tagged blocks: the file each quotes and the block's text. */
function taggedBlocks(markdown: string): { file: string; code: string }[] {
  return [...markdown.matchAll(/<!-- example: (\S+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({ file: m[1]!, code: m[2]! }));
}

function run(file: string, ...args: string[]): string {
  return execFileSync('npx', ['tsx', file, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

describe('README library snippets', () => {
  const blocks = taggedBlocks(readme);

  it('quote examples/api/*.ts verbatim', () => {
    expect(blocks.map((b) => b.file).sort()).toEqual(['examples/api/build-graph.ts', 'examples/api/differentiate.ts', 'examples/api/register-rule.ts', 'examples/api/train.ts']);
    for (const { file, code } of blocks) {
      expect(code.split('\n').length, `${file}: the block is a real excerpt`).toBeGreaterThan(5);
      expect(readFileSync(join(root, file), 'utf8'), `README block for ${file} is not an excerpt of the file`).toContain(code);
    }
  });

  it('build-graph.ts: refuses a bad shape at creation, runs the graph in onnxruntime', () => {
    const out = run('examples/api/build-graph.ts');
    expect(out).toContain('refused: E_GRAPH_BUILD MatMul: inner dimensions differ');
    // sigmoid([1,2,3]·W) with W's columns (1,0,1) and (0,1,1): σ(4), σ(5); the zero row gives σ(0).
    expect(out).toContain(`y [ 2, 2 ] 0.500 0.500 ${(1 / (1 + Math.exp(-4))).toFixed(3)} ${(1 / (1 + Math.exp(-5))).toFixed(3)}`);
  }, 120_000);

  it('differentiate.ts: onnxruntime\'s gradient equals the hand-derived one', () => {
    const out = run('examples/api/differentiate.ts');
    const row = (label: string): number[] => out.split('\n').find((l) => l.startsWith(label))!.slice(label.length).trim().split(' ').map(Number);
    const [onnx, hand] = [row('dw (onnxruntime)'), row('dw (by hand)')];
    expect(onnx).toHaveLength(3);
    onnx.forEach((v, i) => expect(v).toBeCloseTo(hand[i]!, 5));
    expect(onnx.some((v) => v !== 0)).toBe(true);
  }, 120_000);

  it('register-rule.ts: a registered Softplus rule gives σ(x)', () => {
    const out = run('examples/api/register-rule.ts');
    expect(out).toContain('built-in rule for Softplus: false');
    expect(out).toContain('dx 0.1192 0.5000 0.9526 = σ(x) 0.1192 0.5000 0.9526');
  }, 120_000);

  it('train.ts: trains on the built-in data and the written model predicts', () => {
    const out = run('examples/api/train.ts', mkdtempSync(join(tmpdir(), 'readme-train-')));
    const [, dev, test] = /dev ([\d.]+)%\s+test ([\d.]+)%/.exec(out)!.map(Number);
    expect(dev).toBeGreaterThan(75); // the built-in set is balanced: 50% is chance
    expect(test).toBeGreaterThan(75);
    const preds = out.trim().split('\n').slice(1);
    expect(preds).toHaveLength(2);
    for (const p of preds) expect(p).toMatch(/^(positive|negative) \[ '0\.\d\d', '[01]\.\d\d' \]$/);
  }, 180_000);
});
