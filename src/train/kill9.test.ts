// kill -9 during checkpoint saves: a child saves checkpoints in a loop and is killed with
// SIGKILL at random moments, over and over on the same file. After every kill the checkpoint
// must load, be whole (every value equal to its step: no torn write), and be no older than
// the last save the child reported (nothing acknowledged is lost). KILL9_TRIALS=N for a long run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { Tensor } from '../onnx/tensor.js';
import { rng } from '../../test/hardening/mutate.js';
import { transpileTree } from '../../test/hardening/transpile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = join(ROOT, 'test-output', `kill9-${process.pid}`);
afterAll(() => rmSync(work, { recursive: true, force: true }));
const TRIALS = Math.max(30, Number(process.env.KILL9_TRIALS ?? 30));
const CHAINS = 3;
const FLOATS = 250_000; // 1 MB per tensor: a save takes long enough to be hit mid-write

interface Trial {
  acked: number;
  loaded: number;
  tempLeft: boolean;
}

/** One kill: start the writer, let it run a random while, SIGKILL it, check the checkpoint. */
async function trial(script: string, path: string, delayMs: number): Promise<Trial> {
  const temps = (): string[] => readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp'));
  const before = new Set(temps());
  const child = spawn(process.execPath, [script, path, String(FLOATS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let acked = -1;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      for (const m of out.matchAll(/(ready|saved) (\d+)\n/g)) acked = Math.max(acked, Number(m[2]));
      if (out.startsWith('ready')) resolve();
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', () => reject(new Error(`writer exited before it was killed: ${err}`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  for (const m of out.matchAll(/saved (\d+)\n/g)) acked = Math.max(acked, Number(m[1]));
  const ckpt = await loadCheckpoint(path);
  const step = ckpt.position.step;
  for (const [name, t] of [...ckpt.params, ...ckpt.state]) {
    const d = t.data as Float32Array;
    expect(d[0] === step && d[d.length - 1] === step && d.every((x) => x === step), `${name} is torn at step ${step}`).toBe(true);
  }
  const tempLeft = temps().some((f) => !before.has(f)); // this child died between open and rename
  return { acked, loaded: step, tempLeft };
}

describe('kill -9 during checkpoint saves', () => {
  it(`${TRIALS} SIGKILLs at random moments: the checkpoint always loads whole and loses no acknowledged save`, async () => {
    const script = transpileTree(fileURLToPath(new URL('../../test/hardening/checkpoint-writer.ts', import.meta.url)), ROOT, join(work, 'js'));
    const next = rng(9);
    const results: Trial[] = [];
    let saves = 0;
    // Independent chains run side by side; within a chain every kill hits the same file.
    await Promise.all(Array.from({ length: CHAINS }, async (_, c) => {
      const d = join(work, `chain${c}`);
      mkdirSync(d, { recursive: true });
      const path = join(d, 'checkpoint.safetensors');
      // The chain starts from a saved checkpoint: there is always a previous one to keep.
      const zero = (n: number): Tensor => ({ dtype: 'float32', dims: [n], data: new Float32Array(n) });
      await saveCheckpoint(path, {
        params: new Map([['w', zero(FLOATS)], ['b', zero(7)]]),
        state: new Map([['w.adam.m', zero(FLOATS)]]),
        position: { step: 0, epoch: 0, batchInEpoch: 0, bestDevAccuracy: -1, bestEpoch: -1, epochsWithoutImprovement: 0, seed: 1 },
      });
      let previous = 0;
      for (let t = c; t < TRIALS; t += CHAINS) {
        const r = await trial(script, path, Math.floor(next() * 150));
        expect(r.loaded, `chain ${c} trial ${t}: checkpoint went back from ${previous} to ${r.loaded}`).toBeGreaterThanOrEqual(previous);
        expect(r.loaded, `chain ${c} trial ${t}: save ${r.acked} was reported but the file holds ${r.loaded}`).toBeGreaterThanOrEqual(r.acked);
        previous = r.loaded;
        results.push(r);
      }
      saves += previous;
      // The writer tidies temporary files its killed predecessors left behind.
      const temps = readdirSync(d).filter((f) => f.endsWith('.tmp'));
      expect(temps.length).toBeLessThanOrEqual(1);
    }));
    expect(results).toHaveLength(TRIALS);
    const midSave = results.filter((r) => r.tempLeft).length;
    console.log(`kill -9: ${TRIALS} trials, ${midSave} killed mid-save (temporary file left), checkpoint loadable and whole every time; ${saves} checkpoints saved in all`);
    expect(existsSync(script)).toBe(true);
  }, 300_000);
});
