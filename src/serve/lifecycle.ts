// The server's life around its requests: binding the address, counting the requests in flight, and
// the graceful stop (standalone: close the listener and drain the connections; mounted: the host
// owns the connections, so only finish the requests received).
import type { Server } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { ConnectionTracker } from './connections.js';
import { ListenError } from './errors.js';

/** Connections the kernel may queue before the server accepts them (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

/** Where a server listens: the bound address, its port, and the URL to reach it. */
export interface ListeningAddress {
  host: string;
  port: number;
  url: string;
}

/**
 * Binds `server` to host:port (port 0: any free port).
 * @throws ListenError (E_LISTEN) when the address is in use, not permitted or not local.
 */
export function listenOn(server: Server, port: number, host: string): Promise<ListeningAddress> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? `no such local address` : e.message;
      reject(new ListenError(`cannot listen on ${host}:${port}: ${why}`));
    };
    server.once('error', onError);
    // A deep accept queue (Node's default is 511): a burst of clients connecting at once
    // otherwise overflows it, and the kernel's SYN retries (1 s, 3 s, …) become their latency.
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      const a = server.address() as AddressInfo;
      const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve({ host: a.address, port: a.port, url: `http://${h}:${a.port}` });
    });
  });
}

/** The requests being handled, so that a shutdown can wait for the last of them. */
export class InflightRequests {
  private n = 0;
  /** Called when the last request in flight is released (a mounted server's shutdown waits on it). */
  private onIdle: (() => void) | null = null;

  /** Requests begun and not yet ended. */
  get count(): number {
    return this.n;
  }

  /** A request arrived. */
  begin(): void {
    this.n++;
  }

  /** A request was released (answered, or its connection closed). */
  end(): void {
    this.n--;
    if (this.n === 0) this.onIdle?.();
  }

  /** Resolves the next time the count falls to 0 (one waiter at a time: a later call replaces it). */
  idle(): Promise<void> {
    return new Promise<void>((r) => (this.onIdle = r));
  }
}

/** What a shutdown acts on besides the connections: the requests in flight and the models' batches. */
export interface Drain {
  /** How long (ms) requests may take to finish before they are cut. */
  graceMs: number;
  inflight: InflightRequests;
  /** Lets every waiting batch leave at once. */
  drainBatches: () => void;
  /** Resolves once the models a swap replaced have been released. */
  releaseReplaced: () => Promise<void>;
  log: (line: string) => void;
}

/**
 * Mounted: the host owns the connections, so shutting down means finishing the requests received
 * (the caller already refuses new ones with 503) and releasing replaced models; `forced` when
 * graceMs ran out first.
 */
export async function shutdownMounted(d: Drain): Promise<{ forced: boolean }> {
  d.drainBatches();
  if (d.inflight.count > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([d.inflight.idle(), new Promise<void>((r) => (timer = setTimeout(r, d.graceMs)))]);
    clearTimeout(timer);
  }
  const forced = d.inflight.count > 0;
  if (!forced) await d.releaseReplaced();
  return { forced };
}

/**
 * Standalone: stop accepting connections, drain the open ones (idle ones close after `lingerMs`),
 * answer the requests received; after graceMs cut what remains. `forced` when requests were cut.
 */
export async function shutdownStandalone(server: Server, connections: ConnectionTracker, lingerMs: number, d: Drain): Promise<{ forced: boolean }> {
  // net.Server's close, not http.Server's: the latter also closes every idle keep-alive
  // connection at once (a request already on its way on one is then lost) and stops the
  // header/request timeout checks that bound slow clients while draining.
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  connections.drain(lingerMs);
  d.drainBatches();
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), d.graceMs)))]);
  clearTimeout(timer);
  const cut = d.inflight.count;
  if (!finished) {
    if (cut > 0) d.log(`highway-onnx: shutdown grace period (${d.graceMs} ms) over: closing ${cut} unfinished request(s)`);
    connections.destroyAll();
    await closed;
  }
  server.close(); // already closed: only stops Node's timeout checks
  // Replaced models are released once their requests are done; after a cut, a batch may still
  // be running on one, and the process is about to end anyway.
  if (finished) await d.releaseReplaced();
  return { forced: !finished && cut > 0 };
}
