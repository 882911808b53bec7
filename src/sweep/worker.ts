// `highway-onnx worker`: takes cell jobs from the queue and trains them, on any machine that
// has the data and the package. Checkpoints go to the artifact directory (a shared volume),
// so a retried or taken-over cell resumes from its last epoch there; the cell record goes
// back through the queue as the job's return value.
import { sweepDataset } from '../experiment/runner.js';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import type { Dataset } from '../data/example.js';
import { runCell } from '../experiment/cell.js';
import { queueConnection, DEFAULT_QUEUE_NAME, displayUrl } from './connection.js';
import type { CellJobData, CellJobResult } from './plan.js';

/** Where the worker takes its jobs from, how many at once, and how it detects dead workers. */
export interface WorkerOptions {
  /** redis:// URL of the queue. */
  url: string;
  queueName?: string;
  /** Cells trained at once by this process (default 1). */
  concurrency?: number;
  /**
   * Artifact root on this machine; a sweep's runs go to `<artifacts>/<sweep>/runs/<cell>`.
   * Default: the directory the sweep command named (the same path on every machine).
   */
  artifacts?: string | null;
  /**
   * How long a job's lock lasts without renewal, in ms (default 30 000). A worker that dies
   * (kill -9, lost machine) stops renewing; after this its job counts as stalled and another
   * worker takes it over.
   */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs, in ms (default 30 000). */
  stalledIntervalMs?: number;
  /** Times a job may stall (its worker dying) before it is failed (default 3). */
  maxStalledCount?: number;
  log?: (line: string) => void;
}

/** A running worker: `close()` lets the cells in progress finish, then disconnects. */
export interface SweepWorker {
  worker: Worker<CellJobData, CellJobResult>;
  close(): Promise<void>;
}

/** Start taking jobs. Resolves once the worker is connected and waiting for jobs. */
export async function startWorker(opts: WorkerOptions): Promise<SweepWorker> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const queueName = opts.queueName ?? DEFAULT_QUEUE_NAME;
  const datasets = new Map<string, Promise<Dataset>>();
  const dataFor = (s: CellJobData['settings']): Promise<Dataset> => {
    const key = `${s.data ?? ''}\0${s.phrases ? 'phrases' : 'sentences'}`;
    if (!datasets.has(key)) datasets.set(key, sweepDataset(s));
    return datasets.get(key)!;
  };

  const processor = async (job: Job<CellJobData, CellJobResult>): Promise<CellJobResult> => {
    const d = job.data;
    const out = opts.artifacts ? join(opts.artifacts, d.sweep) : d.artifacts;
    const tag = `[worker ${process.pid}] ${d.sweep}/${d.cell.id}`;
    lastError = ''; // connected again: report the next outage
    log(`${tag}: start (attempt ${job.attemptsStarted}${job.stalledCounter ? `, taken over after ${job.stalledCounter} stall${job.stalledCounter > 1 ? 's' : ''}` : ''}) in ${out}`);
    const t0 = performance.now();
    try {
      const result = await runCell(d.cell, { out, settings: d.settings, dataset: await dataFor(d.settings), log: (line) => log(`${tag}:${line}`), ...(d.config ? { extra: { config: d.config } } : {}) });
      const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
      log(`${tag}: done in ${((performance.now() - t0) / 1000).toFixed(1)}s: best dev ${pct(result.bestDevAccuracy)} (epoch ${result.bestEpoch}), test ${pct(result.testAccuracy)}`);
      return result;
    } catch (e) {
      log(`${tag}: FAILED (attempt ${job.attemptsStarted}): ${(e as Error).message}`);
      throw e;
    }
  };

  const worker = new Worker<CellJobData, CellJobResult>(queueName, processor, {
    connection: queueConnection(opts.url),
    concurrency: opts.concurrency ?? 1,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 3,
    autorun: false,
  });
  // Without a listener an 'error' (e.g. Redis going away) would end the process; the client
  // reconnects by itself, so one line per kind of error is enough.
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) log(`[worker ${process.pid}] queue error (reconnecting): ${e.message}`);
    lastError = e.message;
  });
  void worker.run();
  await worker.waitUntilReady();
  log(`[worker ${process.pid}] waiting for cells on ${displayUrl(opts.url)} queue '${queueName}' (concurrency ${opts.concurrency ?? 1})`);
  return {
    worker,
    close: () => worker.close(),
  };
}
