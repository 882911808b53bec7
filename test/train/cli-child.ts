// Real `highway-onnx train` processes for the interruption tests: the CLI transpiled once to
// plain ESM (src/ as it is, only faster to start than tsx — these tests start dozens), spawned
// with signals and the atomic writer's kill hook; and a check that every run file left behind
// loads with the project's own readers and onnxruntime.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { transpileTree } from '../hardening/transpile.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { loadModel } from '../../src/runtime/node.js';
import { decodeModel } from '../../src/onnx/proto.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Transpiles src/cli/bin.ts and what it imports under `outDir`; returns the script to run. */
export function buildCli(outDir: string): string {
  return transpileTree(join(ROOT, 'src/cli/bin.ts'), ROOT, outDir);
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the first match of `mark` on stderr to the exit (null: never matched). */
  afterMarkMs: number | null;
}

export interface ChildOptions {
  /** A stderr pattern whose first appearance starts the `afterMarkMs` clock. */
  mark?: RegExp;
  env?: Record<string, string>;
  /** Once stderr shows this, wait `afterMs` and send `signal`. */
  interrupt?: { when: RegExp; afterMs: number; signal: NodeJS.Signals };
  /** Hard stop for a hung child (the test then fails on the exit it reports). */
  timeoutMs?: number;
}

/** Runs the CLI to its end (or its interruption); resolves with exit code or signal and output. */
export function runCli(script: string, args: string[], opts: ChildOptions = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    let armed = opts.interrupt;
    let markedAt: number | null = null;
    const guard = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (markedAt === null && opts.mark?.test(stderr)) markedAt = performance.now();
      if (armed && armed.when.test(stderr)) {
        const { afterMs, signal } = armed;
        armed = undefined;
        setTimeout(() => child.kill(signal), afterMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, afterMarkMs: markedAt === null ? null : performance.now() - markedAt });
    });
  });
}

/** metrics.jsonl records with the timing fields (seconds, tokens/s) removed. */
export function metricsWithoutTimings(dir: string): Record<string, unknown>[] {
  const text = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  return text.split('\n').filter((l) => l.length > 0).map((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    delete r.seconds;
    delete r.tokensPerSecond;
    return r;
  });
}

/**
 * Every run file present in `dir` loads: model.onnx through loadModel (vetting included) and
 * scores a text, checkpoints through loadCheckpoint (finite, complete), the step and eval graphs
 * in onnxruntime, artifact.json and every metrics line as JSON. Returns the files checked.
 */
export async function expectRunFilesLoad(dir: string): Promise<string[]> {
  const checked: string[] = [];
  const at = (f: string): string => join(dir, f);
  if (existsSync(at('model.onnx'))) {
    const m = await loadModel(at('model.onnx'), { device: 'cpu' });
    const [p] = await m.predict(['not bad at all']);
    expect(p!.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await m.release();
    checked.push('model.onnx');
  }
  for (const f of ['checkpoint.safetensors', 'best.safetensors']) {
    if (!existsSync(at(f))) continue;
    const c = await loadCheckpoint(at(f));
    expect(c.params.size).toBeGreaterThan(0);
    checked.push(f);
  }
  for (const f of ['train_step.onnx', 'eval.onnx']) {
    if (!existsSync(at(f))) continue;
    const bytes = readFileSync(at(f));
    expect(decodeModel(bytes).graph?.node?.length ?? 0).toBeGreaterThan(0);
    const s = await ort.InferenceSession.create(bytes);
    await s.release();
    checked.push(f);
  }
  if (existsSync(at('artifact.json'))) {
    expect(JSON.parse(readFileSync(at('artifact.json'), 'utf8')).format).toBe('highway-onnx-artifact/1');
    checked.push('artifact.json');
  }
  if (existsSync(at('metrics.jsonl'))) {
    const text = readFileSync(at('metrics.jsonl'), 'utf8');
    expect(text === '' || text.endsWith('\n'), 'metrics.jsonl ends with a whole line').toBe(true);
    for (const line of text.split('\n').filter((l) => l)) expect(() => JSON.parse(line)).not.toThrow();
    checked.push('metrics.jsonl');
  }
  return checked;
}
