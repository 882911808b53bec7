// Ctrl-C, SIGTERM and kill -9 during real `train` processes. A run stopped and resumed at random
// moments, many times, must end with the metrics.jsonl (timings aside) and model.onnx of an
// uninterrupted run; SIGINT/SIGTERM finish the step, checkpoint, print a resume command that
// works, and exit 130/143; under a terminal the progress bar gives back cursor and line wrap.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from './checkpoint.js';
import { rng } from '../../test/hardening/mutate.js';
import { buildCli, expectRunFilesLoad, metricsWithoutTimings, ROOT, runCli } from '../../test/train/cli-child.js';

const work = mkdtempSync(join(tmpdir(), 'hw-interrupt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const script = buildCli(join(ROOT, 'test-output', `interrupt-${process.pid}`));
afterAll(() => rmSync(join(ROOT, 'test-output', `interrupt-${process.pid}`), { recursive: true, force: true }));

// The built-in data (4000 train sentences, 125 steps an epoch) with a tiny model: seconds a run.
const SETTINGS = ['--layers', '1', '--hidden', '8', '--embed-dim', '8', '--epochs', '3', '--seed', '3', '--patience', '5'];
// Process options, not settings: a resume is given them again, the settings come from the checkpoint.
const PROCESS = ['--no-progress', '--checkpoint-every', '10'];
const STARTED = /train step graph/;

describe('train interrupted and resumed', () => {
  it('metrics.jsonl and model.onnx after random SIGINT/SIGTERM/SIGKILL + resume equal an uninterrupted run', async () => {
    const whole = join(work, 'whole');
    const u = await runCli(script, ['train', '--out', whole, ...SETTINGS, ...PROCESS], { mark: STARTED });
    expect(u.code, u.stderr).toBe(0);
    // Signals land anywhere in a third of this run's training time: a resumed run gets stopped
    // again, at steps all over the three epochs, several times before it finishes.
    const span = u.afterMarkMs! / 3;
    const expected = metricsWithoutTimings(whole);
    expect(expected.filter((r) => r.type === 'step').length).toBe(7); // steps 50…350 of 375
    expect(expected.filter((r) => r.type === 'epoch').length).toBe(3);
    expect(expected.filter((r) => r.type === 'test').length).toBe(1);

    const next = rng(10);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];
    const counts: Record<string, number> = { SIGINT: 0, SIGTERM: 0, SIGKILL: 0, late: 0, restarts: 0 };
    const stoppedAt: number[][] = [];

    /** One run, stopped at random moments and resumed until it finishes; then compared. */
    const chain = async (dir: string): Promise<void> => {
      const steps: number[] = [];
      stoppedAt.push(steps);
      let command: string[] = ['train', '--out', dir, ...SETTINGS];
      for (let trial = 0; trial < 12; trial++) {
        const signal = signals[Math.floor(next() * signals.length)]!;
        const afterMs = Math.floor(next() * span);
        const r = await runCli(script, [...command, ...PROCESS], { interrupt: { when: STARTED, afterMs, signal } });
        // The signal came after the run had finished: it exited 0, or the signal landed while Node
        // was tearing down (its signal handles closed, the default action back) after the final
        // report was printed — the run's files are complete either way, as the comparison below checks.
        const finished = r.code === 0 || (r.signal === signal && /"model":/.test(r.stdout));
        if (finished) {
          counts.late!++;
          break;
        }
        counts[signal]!++;
        if (signal === 'SIGKILL') expect(r.signal).toBe('SIGKILL');
        else {
          expect(r.code, r.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
          // The printed command is what the next round runs (plus the process options).
          const m = /Resume with:\n {2}highway-onnx (.+)\n/.exec(r.stderr);
          expect(m, r.stderr).not.toBeNull();
          expect(m![1]!.split(' ')).toEqual(['train', '--resume', '--out', dir]);
          const step = Number(/interrupted by SIG\w+ at step (\d+)/.exec(r.stderr)![1]);
          expect((await loadCheckpoint(join(dir, 'checkpoint.safetensors'))).position.step).toBe(step);
          steps.push(step);
        }
        await expectRunFilesLoad(dir);
        if (existsSync(join(dir, 'checkpoint.safetensors'))) command = ['train', '--resume', '--out', dir];
        else {
          // Killed before the first checkpoint: nothing to resume; the run restarts (and must say --force).
          command = ['train', '--out', dir, ...SETTINGS, '--force'];
          counts.restarts!++;
        }
        if (trial === 11) {
          const last = await runCli(script, [...command, ...PROCESS]);
          expect(last.code, last.stderr).toBe(0);
        }
      }
      expect(metricsWithoutTimings(dir)).toEqual(expected);
      expect(readFileSync(join(dir, 'model.onnx')).equals(readFileSync(join(whole, 'model.onnx')))).toBe(true);
      expect(readFileSync(join(dir, 'best.safetensors')).equals(readFileSync(join(whole, 'best.safetensors')))).toBe(true);
    };

    const interruptions = (): number => counts.SIGINT! + counts.SIGTERM! + counts.SIGKILL!;
    for (let c = 0; c < 4 && interruptions() < 6; c++) await chain(join(work, `chain${c}`));
    console.log(
      `interrupt chains (signals within ${span.toFixed(0)} ms of the start of training): ${stoppedAt.length} runs, ${counts.SIGINT} SIGINT, ${counts.SIGTERM} SIGTERM, ` +
        `${counts.SIGKILL} SIGKILL, ${counts.late} after the end, ${counts.restarts} restarts before a first checkpoint; SIGINT/SIGTERM stops at steps ${JSON.stringify(stoppedAt)}`,
    );
    expect(interruptions()).toBeGreaterThanOrEqual(6);

    // Resuming a finished run again changes nothing: no second test record.
    const dir = join(work, 'chain0');
    const again = await runCli(script, ['train', '--resume', '--out', dir, ...PROCESS]);
    expect(again.code, again.stderr).toBe(0);
    expect(metricsWithoutTimings(dir)).toEqual(expected);
  }, 300_000);

  it('Ctrl-C in a terminal: the step finishes, a checkpoint is written, cursor and line wrap come back, exit 130', async () => {
    const dir = join(work, 'tty');
    // util-linux `script` gives the child a pseudo-terminal: the progress bar draws, and the ^C
    // written to it becomes SIGINT from the terminal's line discipline, as from a keyboard.
    const cmd = [process.execPath, script, 'train', '--out', dir, ...SETTINGS].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      // Once the bar has drawn a few updates of epoch 1, press Ctrl-C.
      if (!sent && /epoch 1\/3 \|[^\n]*\| [1-9]\d*\/125/.test(out)) {
        sent = true;
        child.stdin.write('\x03');
      }
    });
    const code = await exited;
    clearTimeout(guard);
    expect(sent, out).toBe(true);
    expect(code, out).toBe(130);
    const hide = out.lastIndexOf('\x1b[?25l');
    const nowrap = out.lastIndexOf('\x1b[?7l');
    expect(hide).toBeGreaterThanOrEqual(0); // the bar did hide the cursor and turn line wrap off…
    expect(nowrap).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('\x1b[?25h', hide)).toBeGreaterThan(hide); // …and gave both back
    expect(out.indexOf('\x1b[?7h', nowrap)).toBeGreaterThan(nowrap);
    const step = Number(/interrupted by SIGINT at step (\d+); checkpoint saved\. Resume with:\r?\n {2}highway-onnx train --resume --out \S+/.exec(out)?.[1]);
    expect(step).toBeGreaterThan(0);
    const ckpt = await loadCheckpoint(join(dir, 'checkpoint.safetensors'));
    expect(ckpt.position.step).toBe(step);
    expect(ckpt.position.batchInEpoch).toBe(step); // inside epoch 1, well before the first epoch-end checkpoint
    expect(ckpt.position.epochSums!.seen).toBeGreaterThan(0); // the sums of the batches before the stop travel with it
    expect(ckpt.position.epochSums!.seen).toBeLessThanOrEqual(32 * step);
  }, 120_000);
});
