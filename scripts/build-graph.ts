// npm run build-graph [-- flags]: see src/models/build-graph.ts.
import { CommanderError } from 'commander';
import { buildGraphMain } from '../src/models/build-graph.js';

buildGraphMain(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode; // commander has printed the message (or the help)
    return;
  }
  console.error(`build-graph: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
