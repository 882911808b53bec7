// Where a sweep stands across all workers, read from the queue itself: cells queued,
// running, done and failed, and an ETA from the cells finished so far. Shared by
// `highway-onnx sweep status` and the live line of the sweep command.
import type { Job, JobType, Queue } from 'bullmq';
import { cellCost } from '../experiment/grid.js';
import { formatDuration } from '../experiment/runner.js';
import type { CellJobData, CellJobResult } from './plan.js';

/** A sweep cell's BullMQ job. */
export type CellJob = Job<CellJobData, CellJobResult>;

/** The jobs of one sweep by state (queued = waiting (or paused), delayed for a retry, prioritized). */
export interface SweepJobs {
  name: string;
  queued: CellJob[];
  running: CellJob[];
  done: CellJob[];
  failed: CellJob[];
}

/** Counts and ETA of one sweep. `etaSeconds` is null until a cell has finished. */
export interface SweepStatus {
  name: string;
  total: number;
  queued: number;
  running: number;
  done: number;
  failed: number;
  /** Workers connected to the queue (null where Redis does not allow CLIENT LIST). */
  workers: number | null;
  etaSeconds: number | null;
  failures: { cell: string; reason: string; attempts: number }[];
}

const QUEUED: JobType[] = ['wait', 'delayed', 'prioritized', 'waiting-children'];

/** Every job in the queue grouped by sweep (the job name), optionally only sweep `name`. */
export async function sweepJobs(queue: Queue<CellJobData, CellJobResult>, name?: string): Promise<SweepJobs[]> {
  const [queued, running, done, failed] = await Promise.all([
    queue.getJobs([...QUEUED], 0, -1, true),
    queue.getJobs(['active'], 0, -1, true),
    queue.getJobs(['completed'], 0, -1, true),
    queue.getJobs(['failed'], 0, -1, true),
  ]);
  const bySweep = new Map<string, SweepJobs>();
  const add = (jobs: CellJob[], state: 'queued' | 'running' | 'done' | 'failed'): void => {
    for (const j of jobs) {
      // getJobs can return undefined for a job removed between listing and reading.
      if (!j || (name !== undefined && j.name !== name)) continue;
      if (!bySweep.has(j.name)) bySweep.set(j.name, { name: j.name, queued: [], running: [], done: [], failed: [] });
      bySweep.get(j.name)![state].push(j);
    }
  };
  add(queued as CellJob[], 'queued');
  add(running as CellJob[], 'running');
  add(done as CellJob[], 'done');
  add(failed as CellJob[], 'failed');
  return [...bySweep.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Counts and ETA. The ETA divides the remaining work (cells weighted by cellCost, i.e. depth;
 * running cells less the time they have run) by the parallelism seen now (running cells, at
 * least 1), at the seconds per unit of cost measured on the finished cells' last attempts.
 */
export function summarize(jobs: SweepJobs, workers: number | null, now = Date.now()): SweepStatus {
  const finished = jobs.done.filter((j) => j.finishedOn !== undefined && j.processedOn !== undefined);
  const spentCost = finished.reduce((a, j) => a + cellCost(j.data.cell), 0);
  const spentSeconds = finished.reduce((a, j) => a + (j.finishedOn! - j.processedOn!) / 1000, 0);
  let etaSeconds: number | null = null;
  if (spentCost > 0 && spentSeconds > 0) {
    const rate = spentSeconds / spentCost;
    const queuedCost = jobs.queued.reduce((a, j) => a + cellCost(j.data.cell), 0);
    const runningCost = jobs.running.reduce((a, j) => a + Math.max(0, cellCost(j.data.cell) - (j.processedOn !== undefined ? (now - j.processedOn) / 1000 / rate : 0)), 0);
    const parallel = Math.max(1, jobs.running.length, Math.min(workers ?? 1, jobs.queued.length + jobs.running.length));
    etaSeconds = (rate * (queuedCost + runningCost)) / parallel;
  }
  return {
    name: jobs.name,
    total: jobs.queued.length + jobs.running.length + jobs.done.length + jobs.failed.length,
    queued: jobs.queued.length,
    running: jobs.running.length,
    done: jobs.done.length,
    failed: jobs.failed.length,
    workers,
    etaSeconds: jobs.queued.length + jobs.running.length === 0 ? 0 : etaSeconds,
    failures: jobs.failed.map((j) => ({ cell: j.data.cell.id, reason: j.failedReason ?? 'unknown', attempts: j.attemptsMade })),
  };
}

/** Workers connected to the queue, or null where the server refuses CLIENT LIST. */
export async function workerCount(queue: Queue): Promise<number | null> {
  try {
    return await queue.getWorkersCount();
  } catch {
    return null;
  }
}

/** One line: "sweep NAME: 3/8 done, 2 running, 3 queued, 0 failed | 2 workers | ETA 2m10s". */
export function formatStatus(s: SweepStatus): string {
  const eta = s.queued + s.running === 0 ? 'finished' : `ETA ${s.etaSeconds === null ? '?' : formatDuration(s.etaSeconds)}`;
  return `sweep ${s.name}: ${s.done}/${s.total} done, ${s.running} running, ${s.queued} queued, ${s.failed} failed | ${s.workers === null ? '?' : s.workers} worker${s.workers === 1 ? '' : 's'} | ${eta}`;
}
