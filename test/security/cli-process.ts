// The CLI as a user runs it: a child process (Node + tsx) in a working directory of the test's
// choosing, so that files "in the working directory" are files the test controls.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx's loader by absolute URL: `--import tsx` would resolve against the child's cwd. */
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// At most two CLI processes at once: each starts Node, tsx and onnxruntime on a 2-core machine.
let running = 0;
const waiting: (() => void)[] = [];

/** Run `highway-onnx ...args` in `cwd`; resolves when it exits (killed after `timeoutMs`). */
export async function runCliIn(cwd: string, args: string[], opts: { stdin?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/bin.ts'), ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdin.on('error', () => undefined);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        // onnxruntime's WebGPU provider may warn about Vulkan on stderr before anything runs.
        resolve({ code, stdout, stderr: stderr.replace(/^Warning: Couldn't load Vulkan.*\n.*\n\n?/m, '') });
      });
      child.stdin.end(opts.stdin ?? '');
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}
