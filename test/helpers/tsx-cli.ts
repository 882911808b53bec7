// `highway-onnx` run as a user runs it from a checkout: a real child process of src/cli/bin.ts
// through tsx, in the repository root, its output collected whole; and any command the same way.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What a CLI process left: exit code (null when killed by a signal), stdout and stderr. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `highway-onnx ARGS` (stdin closed) to its exit. */
export function runTsxCli(args: string[]): Promise<CliResult> {
  return runProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], { cwd: ROOT });
}

/** Runs `cmd ARGS` in `cwd` (stdin closed; `env` default: this process's) to its exit, its output collected whole. */
export function runProcess(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, ...(opts.env ? { env: opts.env } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
