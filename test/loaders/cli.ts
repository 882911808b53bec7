// Spawns the real CLI (`node --import tsx src/cli/bin.ts …`), as a user runs it, with a
// wall-clock bound so a hang fails the test instead of stalling the suite.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

/** Runs `highway-onnx …args`; kills it (and reports code null) after `timeoutMs`. */
export function runCli(args: string[], opts: { timeoutMs?: number; stdin?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], {
      cwd: opts.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr.replace(/^Warning: Couldn't load Vulkan.*\n.*\n\n?/m, ''), ms: performance.now() - t0 });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
