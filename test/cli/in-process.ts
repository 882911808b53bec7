// runCli inside the test process, as `highway-onnx …args`: process.exit, stdout, stderr and stdin
// are intercepted (same code as the command, no process start-up per case).
import { Readable } from 'node:stream';
import { vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';

/** What a command printed, and its exit code. */
export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

class Exit extends Error {
  constructor(readonly exitCode: number) {
    super(`process.exit(${exitCode})`);
  }
}

/** runCli in this process, as `highway-onnx …args` with `stdin` piped in. Calls must not overlap. */
export async function inProcess(args: string[], stdin: string | Uint8Array = ''): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const text = (c: string | Uint8Array): string => (typeof c === 'string' ? c : Buffer.from(c).toString());
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(((c: string | Uint8Array) => ((stdout += text(c)), true)) as never),
    vi.spyOn(process.stderr, 'write').mockImplementation(((c: string | Uint8Array) => ((stderr += text(c)), true)) as never),
    vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Exit(code ?? 0);
    }) as never),
    vi.spyOn(process, 'stdin', 'get').mockReturnValue(Readable.from([Buffer.from(stdin)]) as never),
  ];
  let code = 0;
  try {
    await runCli(['node', 'highway-onnx', ...args]);
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    code = e.exitCode;
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return { code, stdout, stderr: stderr.replace(/^Warning: Couldn't load Vulkan.*\n.*\n\n?/m, '') };
}

