// CLI child processes for the queue tests (`node --import tsx src/cli/bin.ts …`, one process
// each, so kill -9 hits the worker itself), with their output kept for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the first match of `re` in the output (rejects after `ms` or on exit). */
  waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
}

/** `highway-onnx ARGS`. */
export const startCli = (args: string[]): Proc => startScript('src/cli/bin.ts', args);

/** A TypeScript entry of the project (e.g. scripts/experiment.ts, what `npm run experiment` runs) with ARGS. */
export function startScript(script: string, args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    output: () => out,
    exited,
    waitFor: (re, ms) =>
      new Promise((resolve, reject) => {
        const m = out.match(re);
        if (m) return resolve(m);
        const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; output:\n${out.slice(-3000)}`)), ms);
        const w = { re, resolve: (x: RegExpMatchArray) => (clearTimeout(timer), resolve(x)) };
        waiters.push(w);
        void exited.then((code) => {
          if (!waiters.includes(w)) return;
          clearTimeout(timer);
          reject(new Error(`exited (${code}) before ${re}; output:\n${out.slice(-3000)}`));
        });
      }),
  };
}

/** SIGTERM, then SIGKILL if it has not exited after `ms`. */
export async function stopProc(p: Proc, ms = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  await p.exited;
  clearTimeout(timer);
}
