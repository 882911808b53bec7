#!/usr/bin/env node
import { runCli } from './main.js';

// A closed pipe (`… | head -1`) ends the command quietly instead of with an EPIPE stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

await runCli(process.argv);
