// A mounted server's requests: the host application owns their connections, so there is nothing
// to track beyond releasing each request once.
import type { ServerResponse } from 'node:http';
import type { TrackedRequest } from './connections.js';

/**
 * A request as the tracker would see it, for a mounted server: the host application owns the
 * connection (timeouts, keep-alive, closing), so nothing dooms or aborts it here; `release` runs
 * once, when its response closes (finished, or the connection went away).
 */
export function hostRequest(res: ServerResponse, release: () => void): TrackedRequest {
  let released = false;
  res.once('close', () => {
    if (released) return;
    released = true;
    release();
  });
  return { signal: new AbortController().signal, doomed: false, receiving: () => undefined, lastWhileDraining: () => false, closesConnection: () => undefined };
}
