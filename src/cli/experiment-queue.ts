// `npm run experiment -- --queue redis://…`: the depth experiment's flags plus the queue's;
// without --queue it is `npm run experiment` as before (one process).
import { Command } from 'commander';
import { experimentMain, experimentProgram, settingsFromFlags } from './experiment.js';
import { positiveInt } from './args.js';
import { basename } from 'node:path';
import { depthPlan } from '../sweep/plan.js';
import { loadSweepRuntime } from './sweep-runtime.js';

/** Adds --queue, --queue-name, --name, --artifacts, --attempts to a command. */
export function addQueueOptions(cmd: Command): Command {
  return cmd
    .option('--queue <url>', 'enqueue one job per cell on this Redis (redis://HOST:PORT) for `highway-onnx worker`s; without it, run here')
    .option('--queue-name <name>', 'BullMQ queue name (workers must use the same)')
    .option('--name <name>', 'sweep name in the queue (default: the output directory\'s name)')
    .option('--artifacts <dir>', 'where workers put runs and checkpoints (a shared volume; default: the output directory)')
    .option('--attempts <n>', 'tries per cell before it is reported failed', positiveInt, 3);
}

/** Parse argv (node, script, ...flags); with --queue run through the queue, else experimentMain. */
export async function experimentQueueMain(argv: string[], opts: { log?: (line: string) => void } = {}): Promise<{ failed: unknown[] } | null> {
  const program = addQueueOptions(experimentProgram()).exitOverride();
  program.parse(argv);
  const flags = program.opts<Parameters<typeof settingsFromFlags>[0] & { queue?: string; queueName?: string; name?: string; artifacts?: string; attempts: number; gradients: boolean }>();
  if (!flags.queue) return experimentMain(argv, opts);
  const { settings, out } = settingsFromFlags(flags);
  const { runQueuedSweep } = await loadSweepRuntime();
  return runQueuedSweep({
    plan: depthPlan(flags.name ?? basename(out), settings),
    out,
    url: flags.queue,
    attempts: flags.attempts,
    gradients: flags.gradients,
    command: `npm run experiment -- ${argv.slice(2).join(' ')}`.trim(),
    ...(flags.queueName ? { queueName: flags.queueName } : {}),
    ...(flags.artifacts ? { artifacts: flags.artifacts } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}
