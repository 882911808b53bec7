// Running a sweep plan: through the queue (enqueue one job per cell, collect the results as
// they come back, keep the report current, show the status live) or, without a queue, cell
// after cell in this process. Both write the same files into the sweep directory.
import { access, copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import type { Dataset } from '../data/example.js';
import { analyzeDeepest } from '../experiment/analysis.js';
import { runCell } from '../experiment/cell.js';
import { writeReport } from '../experiment/report.js';
import { cellPath, readCellResults, writeJsonAtomic } from '../experiment/results.js';
import { formatDuration, sweepDataset, writeExperimentRecord } from '../experiment/runner.js';
import { DEFAULT_QUEUE_NAME, displayUrl, queueConnection, SweepQueueError } from './connection.js';
import { jobId, type CellJobData, type CellJobResult, type PlannedCell, type SweepPlan } from './plan.js';
import type { SearchSpec } from './search.js';
import { rankConfigs, writeSearchRecord, writeSearchReport, type ConfigSummary } from './search-report.js';
import { formatStatus, summarize, sweepJobs, workerCount } from './status.js';

/** What every way of running a sweep needs. */
export interface SweepRunOptions {
  plan: SweepPlan;
  /** Sweep directory: record, cells/, report and charts. */
  out: string;
  /** The search definition (plan.mode 'search'), recorded in search.json. */
  search?: SearchSpec;
  /** Recorded with the sweep. */
  command?: string;
  /** Depth sweeps: gradient norms at the deepest depth once every cell is in (default true). */
  gradients?: boolean;
  log?: (line: string) => void;
}

/** A sweep through a BullMQ queue: where the queue is and how hard to try each cell. */
export interface QueueRunOptions extends SweepRunOptions {
  /** redis:// URL. */
  url: string;
  queueName?: string;
  /** Where workers put runs and checkpoints (default: `out`); must be reachable by them. */
  artifacts?: string;
  /** Tries per cell before it is reported failed (default 3). */
  attempts?: number;
  /** How often the queue is read, in ms (default 1000). */
  pollMs?: number;
}

/** How a sweep ended. `failed`: cells that failed every try, with their last error. */
export interface SweepRunSummary {
  done: number;
  skipped: number;
  failed: { cell: string; reason: string }[];
  seconds: number;
  /** Searches: the best configuration so far (null for a depth sweep or before any result). */
  best: ConfigSummary | null;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);


async function writeRecord(o: SweepRunOptions, dataset: Dataset): Promise<void> {
  const meta = { dataLabel: o.plan.settings.data ?? 'built-in data', ...(o.command ? { command: o.command } : {}) };
  if (o.plan.mode === 'depth') await writeExperimentRecord(o.out, o.plan.settings, dataset, meta);
  else {
    if (!o.search) throw new SweepQueueError('a search plan needs its search definition');
    await writeSearchRecord(o.out, o.plan.name, o.search, o.plan.settings, dataset, meta);
  }
}

const report = (o: SweepRunOptions, failed: { cell: string; reason: string }[]): Promise<void> =>
  o.plan.mode === 'depth' ? writeReport(o.out) : writeSearchReport(o.out, failed);

async function pendingCells(o: SweepRunOptions): Promise<PlannedCell[]> {
  const pending: PlannedCell[] = [];
  for (const p of o.plan.cells) if (!(await exists(cellPath(o.out, p.cell.id)))) pending.push(p);
  return pending;
}

async function finish(o: SweepRunOptions, dataset: Dataset, runsRoot: string, failed: { cell: string; reason: string }[], t0: number, done: number, skipped: number): Promise<SweepRunSummary> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (o.plan.mode === 'depth' && (o.gradients ?? true) && failed.length === 0) {
    const deepest = Math.max(...o.plan.settings.depths);
    // The probe reads the runs where the workers left them and writes its files beside them.
    await analyzeDeepest(runsRoot, deepest, o.plan.settings.seeds[0]!, dataset, log);
    if (resolve(runsRoot) !== resolve(o.out)) {
      for (const f of ['gradients.json', 'gradients.svg']) if (await exists(join(runsRoot, f))) await copyFile(join(runsRoot, f), join(o.out, f));
    }
  }
  await report(o, failed);
  const best = o.plan.mode === 'search' ? rankConfigs((await readCellResults(o.out)) as CellJobResult[])[0] ?? null : null;
  const seconds = (performance.now() - t0) / 1000;
  if (best) log(`best configuration ${best.config.id}: depth ${best.config.depth}, hidden ${best.config.hidden}, lr ${best.config.lr}, dropout ${best.config.dropout}, gate bias ${best.config.gateBias}: dev ${(100 * best.dev).toFixed(2)}%${best.test !== null ? `, test ${(100 * best.test).toFixed(2)}%` : ''}`);
  log(`sweep ${o.plan.name} done: ${done} cells run, ${skipped} skipped${failed.length ? `, ${failed.length} FAILED (${failed.map((f) => f.cell).join(', ')})` : ''}, ${formatDuration(seconds)}; report in ${join(o.out, 'results.md')}`);
  return { done, skipped, failed, seconds, best };
}

/** Run every cell in this process, one after another (no queue). A failing cell is reported, the rest go on. */
export async function runLocalSweep(o: SweepRunOptions): Promise<SweepRunSummary> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const t0 = performance.now();
  const dataset = await sweepDataset(o.plan.settings);
  await writeRecord(o, dataset);
  const pending = await pendingCells(o);
  const skipped = o.plan.cells.length - pending.length;
  log(`sweep ${o.plan.name}: ${o.plan.cells.length} cells, ${skipped} already done, ${pending.length} to run in this process`);
  const failed: { cell: string; reason: string }[] = [];
  let done = 0;
  for (const [i, p] of pending.entries()) {
    log(`[sweep ${skipped + i + 1}/${o.plan.cells.length}] ${p.cell.id}`);
    try {
      await runCell(p.cell, { out: o.out, settings: p.settings, dataset, log, ...(p.config ? { extra: { config: p.config } } : {}) });
      done++;
    } catch (e) {
      failed.push({ cell: p.cell.id, reason: (e as Error).message });
      log(`  ${p.cell.id} FAILED: ${(e as Error).message}`);
    }
    await report(o, failed);
  }
  return finish(o, dataset, o.out, failed, t0, done, skipped);
}

/** The job's data minus where it runs: two sweeps with the same name must agree on this. */
const jobIdentity = (d: CellJobData): string => JSON.stringify({ cell: d.cell, settings: { ...d.settings, threads: null }, config: d.config ?? null });

/**
 * Enqueue one BullMQ job per pending cell (job id = sweep + cell, so a rerun adds nothing
 * twice and a failed cell is retried), then collect results as workers finish them: each goes
 * to `<out>/cells/<id>.json` and the report is rewritten. Prints the status line whenever it
 * changes. Resolves when every cell is done or has failed all its tries. Throws E_SWEEP_QUEUE
 * when the queue holds a same-named sweep with different settings.
 */
export async function runQueuedSweep(o: QueueRunOptions): Promise<SweepRunSummary> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const t0 = performance.now();
  const dataset = await sweepDataset(o.plan.settings);
  await writeRecord(o, dataset);
  const artifacts = resolve(o.artifacts ?? o.out);
  const attempts = o.attempts ?? 3;
  const queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
  const queue = new Queue<CellJobData, CellJobResult>(queueName, { connection: queueConnection(o.url) });
  let lastError = '';
  queue.on('error', (e) => {
    if (e.message !== lastError) log(`queue error (reconnecting): ${e.message}`);
    lastError = e.message;
  });
  try {
    const pending = await pendingCells(o);
    const skipped = o.plan.cells.length - pending.length;
    let added = 0;
    let retried = 0;
    for (const p of pending) {
      const data: CellJobData = { format: 'highway-onnx-cell-job/1', sweep: o.plan.name, artifacts, cell: p.cell, settings: p.settings, ...(p.config ? { config: p.config } : {}) };
      const id = jobId(o.plan.name, p.cell.id);
      const existing = await queue.getJob(id);
      if (existing) {
        if (jobIdentity(existing.data) !== jobIdentity(data)) {
          throw new SweepQueueError(`queue '${queueName}' already holds sweep '${o.plan.name}' cell ${p.cell.id} with other settings; give this sweep another --name (or another --out)`);
        }
        if ((await existing.getState()) === 'failed') {
          await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
          retried++;
        }
        continue;
      }
      await queue.add(o.plan.name, data, { jobId: id, attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
      added++;
    }
    log(`sweep ${o.plan.name}: ${o.plan.cells.length} cells, ${skipped} already done; ${added} enqueued, ${retried} failed before and retried, ${pending.length - added - retried} already in the queue (${displayUrl(o.url)}, queue '${queueName}', artifacts ${artifacts})`);

    const wanted = new Set(pending.map((p) => p.cell.id));
    const collected = new Set<string>();
    let failed: { cell: string; reason: string }[] = [];
    let lastLine = '';
    let lastPrint = 0;
    while (wanted.size > 0 && collected.size + failed.length < wanted.size) {
      const jobs = (await sweepJobs(queue, o.plan.name))[0];
      if (jobs) {
        for (const j of jobs.done) {
          const id = j.data.cell.id;
          if (!wanted.has(id) || collected.has(id)) continue;
          await writeJsonAtomic(cellPath(o.out, id), j.returnvalue);
          collected.add(id);
          log(`  ${id} done (${j.attemptsStarted > 1 ? `attempt ${j.attemptsStarted}` : 'first try'}): best dev ${(100 * j.returnvalue.bestDevAccuracy).toFixed(2)}%, test ${j.returnvalue.testAccuracy === null ? 'n/a' : `${(100 * j.returnvalue.testAccuracy).toFixed(2)}%`}`);
          await report(o, failed);
        }
        failed = jobs.failed.filter((j) => wanted.has(j.data.cell.id)).map((j) => ({ cell: j.data.cell.id, reason: j.failedReason ?? 'unknown' }));
        const status = summarize(jobs, await workerCount(queue));
        const line = formatStatus(status);
        // Live: a line whenever the counts change, and every 30 s for the ETA.
        if (line.replace(/ETA .*/, '') !== lastLine.replace(/ETA .*/, '') || Date.now() - lastPrint > 30_000) {
          log(line);
          lastLine = line;
          lastPrint = Date.now();
        }
      }
      if (collected.size + failed.length < wanted.size) await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
    }
    for (const f of failed) log(`  ${f.cell} FAILED after ${attempts} tries: ${f.reason}`);
    return await finish(o, dataset, artifacts, failed, t0, collected.size, skipped);
  } finally {
    await queue.close();
  }
}
