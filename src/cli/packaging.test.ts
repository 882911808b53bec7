// The CLI outside this repository's layout: build-graph writes into the working directory (one
// model with no flags), --version, and `setup` refusing what it cannot install.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/proto.js';
import { readClassifierMetadata } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'hw-cwd-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
// tsx by path: the working directory is outside the project, where `--import tsx` would not resolve.
const cli = (...args: string[]) => spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli/bin.ts'), ...args], { cwd, encoding: 'utf8' });

describe('highway-onnx from another directory', () => {
  it('build-graph with no flags writes one default model into the working directory, nothing into the package', () => {
    const before = readdirSync(join(ROOT, 'graphs')).sort();
    const r = cli('build-graph');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^hbilstm-2\.onnx +\S+ MiB +[\d,]+ params\n$/);
    expect(readdirSync(cwd)).toEqual(['hbilstm-2.onnx']);
    expect(readClassifierMetadata(decodeModel(readFileSync(join(cwd, 'hbilstm-2.onnx')))).config).toEqual(resolveConfig({}));
    expect(readdirSync(join(ROOT, 'graphs')).sort()).toEqual(before);
  });

  it('build-graph --set takes no model flags', () => {
    const r = cli('build-graph', '--set', '--layers', '3');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\[E_CONFIG\] --set\/--dir builds the graph set from its configs: it takes no model flags/);
    expect(existsSync(join(cwd, 'graphs'))).toBe(false);
  });

  it('--version prints the package version; setup refuses an unknown provider', () => {
    const v = cli('--version');
    expect(v.stdout).toBe(`${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
    const s = cli('setup', 'rocm');
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/^highway-onnx: \[E_USAGE\] command-argument value 'rocm' is invalid for argument 'provider'\. Allowed choices are cuda\./);
  });
});
