// `highway-onnx sweep`, `sweep status` and `worker`: sweeps and searches as BullMQ jobs.
import { Command, Option } from 'commander';
import { DEFAULT_GATE_BIAS } from '../experiment/grid.js';
import { positiveInt, seedInt } from './args.js';
import { DEFAULT_QUEUE_NAME, queueConnection } from '../sweep/connection.js';
import { planFromFlags, type SweepFlags } from './sweep-flags.js';
import { loadSweepRuntime } from './sweep-runtime.js';
import { addQueueOptions } from './experiment-queue.js';
import { UsageError } from './errors.js';

interface SweepArgs extends SweepFlags {
  queue?: string;
  queueName?: string;
  artifacts?: string;
  attempts: number;
  pollMs: number;
  gradients: boolean;
}

/** Registers `sweep` (with `sweep status`) and `worker` on the program. */
export function registerSweepCommands(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('the depth sweep, or (--search) a hyperparameter search; with --queue every cell is a job for `highway-onnx worker`s. Resume-safe.');
  addQueueOptions(sweep)
    .option('--poll-ms <ms>', 'how often the queue is read', positiveInt, 1000)
    .addOption(new Option('--search <mode>', 'search lr, dropout, gate bias, hidden size and depth: a grid over lists, or random draws (lists or lo..hi ranges) with --budget').choices(['grid', 'random']))
    .option('--budget <n>', 'configurations to try (random: required; grid: a seeded subset)', positiveInt)
    .option('--search-seed <n>', 'seed of the configuration draws (0 to 2^32 − 1)', seedInt, 1)
    .option('--data <dir>', 'data directory (default: data/sst or ../shared/data/sst if present, else the built-in data)')
    .option('--builtin', 'use the built-in data set')
    .option('--depths <list>', 'depths (search: list, or lo..hi)')
    .option('--seeds <list>', 'seeds: every cell (search: every configuration) runs once per seed')
    .option('--epochs <n>', 'epochs per cell', positiveInt)
    .option('--patience <n>', 'early-stopping patience (default: = epochs)', positiveInt)
    .option('--gate-bias <rule>', `transform-gate bias: depth sweep "${DEFAULT_GATE_BIAS}" rule; search: list or range`)
    .option('--embed-dim <n>', 'embedding width', positiveInt)
    .option('--hidden <n>', 'hidden units per direction (search: list or range)')
    .option('--dropout <p>', 'dropout (search: list or range)')
    .option('--lr <x>', 'Adam learning rate (search: list or range, drawn log-uniformly)')
    .option('--batch <n>', 'batch size', positiveInt, 32)
    .option('--max-len <n>', 'truncate training sentences to this many tokens', positiveInt)
    .option('--threads <n>', 'onnxruntime intra-op threads per cell', positiveInt)
    .option('--out <dir>', 'sweep directory (default experiments/sst2-depth, …, or experiments/search)')
    .option('--quick', 'tiny cells: built-in data, depths 1,2, one seed, one epoch, small model')
    .option('--no-gradients', 'skip the gradient-norm analysis at the deepest depth')
    .action(async (o: SweepArgs) => {
      const { plan, out, search } = planFromFlags(o);
      const { runLocalSweep, runQueuedSweep } = await loadSweepRuntime();
      const common = { plan, out, gradients: o.gradients, command: `highway-onnx ${process.argv.slice(2).join(' ')}`, ...(search ? { search } : {}) };
      const summary = o.queue
        ? await runQueuedSweep({ ...common, url: o.queue, attempts: o.attempts, pollMs: o.pollMs, ...(o.queueName ? { queueName: o.queueName } : {}), ...(o.artifacts ? { artifacts: o.artifacts } : {}) })
        : await runLocalSweep(common);
      if (summary.failed.length > 0) process.exitCode = 1;
    });

  sweep
    .command('status')
    .description('cells queued / running / done / failed of the sweeps in a queue (--queue; --name: only that sweep), with an ETA')
    .option('--watch', 'print again every 2 s until every cell is done or failed')
    .action(async (_o: unknown, cmd: Command) => {
      // --queue, --queue-name and --name belong to `sweep`; commander hands them to it.
      const o = cmd.optsWithGlobals<{ queue?: string; queueName?: string; name?: string; watch?: boolean }>();
      if (!o.queue) throw new UsageError("sweep status: required option '--queue <url>' not specified");
      const queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
      const { Queue, formatStatus, summarize, sweepJobs, workerCount } = await loadSweepRuntime();
      const queue = new Queue(queueName, { connection: queueConnection(o.queue) });
      queue.on('error', () => undefined); // reconnects by itself; the read below waits
      try {
        for (;;) {
          const all = await sweepJobs(queue, o.name);
          const workers = await workerCount(queue);
          if (all.length === 0) process.stdout.write(`no sweep${o.name ? ` '${o.name}'` : ''} in queue '${queueName}'\n`);
          let open = false;
          for (const jobs of all) {
            const s = summarize(jobs, workers);
            process.stdout.write(`${formatStatus(s)}\n`);
            for (const f of s.failures) process.stdout.write(`  failed ${f.cell} after ${f.attempts} tries: ${f.reason}\n`);
            open ||= s.queued + s.running > 0;
          }
          if (!o.watch || !open) break;
          await new Promise((r) => setTimeout(r, 2000));
        }
      } finally {
        await queue.close();
      }
    });

  program
    .command('worker')
    .description('train sweep cells from a queue until stopped (SIGTERM/SIGINT: finish the cells in progress, then exit)')
    .requiredOption('--queue <url>', 'Redis URL (redis://HOST:PORT)')
    .option('--queue-name <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .option('--concurrency <n>', 'cells trained at once by this process', positiveInt, 1)
    .option('--artifacts <dir>', 'this machine\'s artifact root: runs go to <dir>/<sweep>/runs/<cell> (default: the directory the sweep named)')
    .option('--lock-ms <ms>', 'job lock; a worker silent this long (killed, lost) has its cell taken over', positiveInt, 30_000)
    .option('--stalled-ms <ms>', 'how often to look for cells whose worker died', positiveInt, 30_000)
    .action(async (o: { queue: string; queueName: string; concurrency: number; artifacts?: string; lockMs: number; stalledMs: number }) => {
      const { startWorker } = await loadSweepRuntime();
      const w = await startWorker({ url: o.queue, queueName: o.queueName, concurrency: o.concurrency, artifacts: o.artifacts ?? null, lockDurationMs: o.lockMs, stalledIntervalMs: o.stalledMs });
      await new Promise<void>((resolveStop) => {
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) process.exit(130); // a second signal: leave now
          stopping = true;
          process.stderr.write(`[worker ${process.pid}] ${signal}: finishing the cells in progress, then exiting\n`);
          void w.close().then(resolveStop);
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      });
    });
}
