// `npm run experiment`: the depth sweep (plain vs Highway BiLSTM). See src/cli/experiment.ts
// for the flags, or `npm run experiment -- --help`.
import { CommanderError } from 'commander';
import { experimentMain } from '../src/cli/experiment.js';

try {
  const summary = await experimentMain(process.argv);
  if (summary && summary.failed.length > 0) process.exitCode = 1;
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  const err = e as Error & { code?: string };
  process.stderr.write(`experiment failed${err.code ? ` [${err.code}]` : ''}: ${err.message}\n`);
  if (process.argv.includes('--verbose')) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
