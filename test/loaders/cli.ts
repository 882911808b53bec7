// The real CLI (`node --import tsx src/cli/bin.ts …`), as a user runs it, with a wall-clock
// bound so a hang fails the test instead of stalling the suite: the shared spawner, with the
// project root as the default working directory.
import { ROOT, runCliIn, type CliResult } from '../security/cli-process.js';

export { ROOT, type CliResult };

/** Runs `highway-onnx …args` (in `cwd`, default the project root); killed (code null) after `timeoutMs`. */
export function runCli(args: string[], opts: { timeoutMs?: number; stdin?: string; cwd?: string } = {}): Promise<CliResult> {
  return runCliIn(opts.cwd ?? ROOT, args, opts);
}
