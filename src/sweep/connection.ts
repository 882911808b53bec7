// Where the queue lives: a redis:// URL → BullMQ connection options. Every client retries
// forever and reconnects on its own, so a Redis restart pauses a sweep instead of ending it.
import type { ConnectionOptions } from 'bullmq';
import { CodedError } from '../errors.js';

/** The BullMQ queue every sweep uses unless told otherwise (`--queue-name`). */
export const DEFAULT_QUEUE_NAME = 'highway-onnx';

/** A queue URL or queue-level request that cannot work (code E_SWEEP_QUEUE). */
export class SweepQueueError extends CodedError {
  constructor(message: string) {
    super('E_SWEEP_QUEUE', 'SweepQueueError', message);
  }
}

/**
 * Check `url` (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS) and return
 * connection options for BullMQ queues and workers. Throws E_SWEEP_QUEUE for anything else.
 */
export function queueConnection(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SweepQueueError(`--queue: expected a URL like redis://127.0.0.1:6379, found '${url}'`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new SweepQueueError(`--queue: expected a redis:// or rediss:// URL, found '${url}'`);
  }
  if (!parsed.hostname) throw new SweepQueueError(`--queue: no host in '${url}'`);
  return {
    url,
    // BullMQ workers require null here; queues get it too so a command waits out an outage.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    // Reconnect every ≤ 1 s for as long as it takes (ioredis's default gives up never, but waits up to 2 s).
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
}

/** The URL without its password, for logs. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
