// npm run build-graph [-- flags]: see src/cli/build-graph.ts. With no flags, the graph set
// (graphs/*.json → graphs/*.onnx), as the depth experiment expects.
import { CommanderError } from 'commander';
import { buildGraphMain } from '../src/cli/build-graph.js';

const args = process.argv.slice(2);
buildGraphMain(args.length === 0 ? ['--set'] : args).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode; // commander has printed the message (or the help)
    return;
  }
  console.error(`build-graph: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
