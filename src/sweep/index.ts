// Sweeps and searches as BullMQ jobs. BullMQ and ioredis are optional peers of the package (only
// sweep users install them): the CLI loads this module on demand (cli/sweep-runtime.ts).
export { runLocalSweep, runQueuedSweep } from './run.js';
export { formatStatus, summarize, sweepJobs, workerCount } from './status.js';
export { startWorker } from './worker.js';
export { DEFAULT_QUEUE_NAME, queueConnection } from './connection.js';
export { Queue } from 'bullmq';
