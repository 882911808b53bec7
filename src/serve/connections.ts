// Per-connection bookkeeping for the HTTP server, so that abusive or unlucky clients cannot make
// requests vanish:
// - every request is released exactly once: when its response closes, or when its socket closes
//   first (a pipelined request queued behind a `Connection: close` response is never written, and
//   Node emits no 'close' for its response);
// - a protocol error (garbage, a timeout) is answered only after the responses of the requests
//   received before it on that connection (HTTP/1.1 pipelining keeps responses in order), then the
//   connection closes; requests received after a closing response are not worked on;
// - a cap on open connections: past it, the connection that has made the least progress for the
//   longest (idle keep-alive, headers or body still arriving) is closed, with 408 when a request was
//   arriving, so slow clients cannot lock out the others (health probes); when every connection is
//   busy with a complete request, the newcomer gets 503 with Retry-After;
// - draining (SIGTERM): idle connections are closed only after staying idle for a short linger, so a
//   request already on its way is read and answered (503 + `Connection: close`) instead of hitting
//   a closed socket; the last response on a connection carries `Connection: close`.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { HttpError } from './errors.js';

/** A request as the tracker sees it, from its headers until its response or socket closes. */
export interface TrackedRequest {
  /** Aborted (reason: an HttpError) when the server must answer this request early: evicted or timed out. */
  readonly signal: AbortSignal;
  /** True when an earlier response on this connection closes it: this request will never be answered. */
  readonly doomed: boolean;
  /** Marks the body as arriving (true) or fully read (false): a request whose body arrives is evictable. */
  receiving(on: boolean): void;
  /** True when this response should close the connection: draining, and no later request is pending on it. */
  lastWhileDraining(): boolean;
  /** Declares that this request's response closes the connection: later requests on it are not served. */
  closesConnection(): void;
}

interface Pending extends TrackedRequest {
  /** Order of arrival on its connection. */
  seq: number;
  receivingSince: number | null;
  abort: AbortController;
  release: () => void;
}

interface Conn {
  socket: Socket;
  /** Requests received and not yet released, oldest first. */
  pending: Pending[];
  /** When pending last became empty (or the connection opened), ms (performance.now()). */
  idleSince: number;
  /** socket.bytesRead at idleSince: more means a new request's headers are arriving. */
  bytesAtIdle: number;
  /** A response that closes the connection is written or queued. */
  closing: boolean;
  /** Requests numbered above this one arrived after the closing response: they are never answered. */
  closingSeq: number;
  /** Requests received so far. */
  seq: number;
  /** A raw error response to write once every pending request is released. */
  deferred: string | null;
  linger: NodeJS.Timeout | null;
}

export interface ConnectionOptions {
  /** Most connections open at once before the least active one is closed (see `defaultMaxConnections`). */
  maxConnections: number;
  /** A connection must have made no progress for this long (ms) before it is closed for a newcomer (default 1000). */
  minEvictAgeMs?: number;
  /** Seconds a client refused at the cap is told to wait (Retry-After, default 1). */
  retryAfterSeconds?: number;
}

/** Raw HTTP/1.1 responses for errors met outside a request handler (no JSON: the request line may be unreadable). */
function rawResponse(status: number, reason: string, extra = ''): string {
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`;
}

/**
 * Writes a last response and half-closes, leaving the client time to read it before the socket
 * is destroyed: destroying at once could reset the connection while the request the client sent
 * is still unread, and a reset can discard the response before the client reads it.
 */
function endGracefully(socket: Socket, bytes: string): void {
  socket.on('error', () => undefined);
  socket.end(bytes);
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** The status Node's parser errors deserve: timeouts are 408 (not 400), oversized headers 431. */
export function clientErrorStatus(err: NodeJS.ErrnoException): { status: number; reason: string } {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, reason: 'Request Timeout' };
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, reason: 'Request Header Fields Too Large' };
  return { status: 400, reason: 'Bad Request' };
}

/**
 * A connection cap that leaves room for the process's other files (the model, onnxruntime, stdio):
 * the soft RLIMIT_NOFILE minus 128, at least 16 (896 under the common limit of 1024). Read from
 * /proc/self/limits; 1024 is assumed where that file does not exist.
 */
export function defaultMaxConnections(): number {
  let limit = 1024;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) limit = Number(m[1]);
  } catch {
    // not Linux: keep the conservative default
  }
  return Math.max(16, limit - 128);
}

export class ConnectionTracker {
  private readonly conns = new Map<Socket, Conn>();
  private draining = false;
  private lingerMs = 0;
  private readonly minEvictAgeMs: number;
  private readonly retryAfter: number;
  /** Connections closed to make room for newcomers, and newcomers refused: for /metrics. */
  evicted = 0;
  refused = 0;

  constructor(
    readonly server: Server,
    readonly opts: ConnectionOptions,
  ) {
    if (!Number.isInteger(opts.maxConnections) || opts.maxConnections < 1) throw new RangeError(`maxConnections must be a positive integer, found ${opts.maxConnections}`);
    this.minEvictAgeMs = opts.minEvictAgeMs ?? 1000;
    this.retryAfter = opts.retryAfterSeconds ?? 1;
    // Node's own cap is the hard backstop (it drops connections silently): room above ours for
    // the newcomers admitted while an evicted connection finishes closing.
    server.maxConnections = opts.maxConnections + 64;
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
  }

  /** Open connections. */
  get size(): number {
    return this.conns.size;
  }

  /**
   * Starts tracking a request; `onRelease` runs exactly once, when its response has closed or its
   * connection has (whichever comes first).
   */
  begin(req: IncomingMessage, res: ServerResponse, onRelease: () => void): TrackedRequest {
    const conn = this.conns.get(req.socket);
    const abort = new AbortController();
    let released = false;
    const self = this;
    const p: Pending = {
      seq: conn ? ++conn.seq : 0,
      signal: abort.signal,
      abort,
      receivingSince: null,
      get doomed() {
        return conn === undefined || (conn.closing && p.seq > conn.closingSeq);
      },
      receiving(on: boolean) {
        p.receivingSince = on ? performance.now() : null;
      },
      lastWhileDraining() {
        return self.draining && (!conn || conn.pending.at(-1) === p);
      },
      closesConnection() {
        if (conn) self.markClosing(conn, p.seq);
      },
      release: () => {
        if (released) return;
        released = true;
        if (conn) {
          const i = conn.pending.indexOf(p);
          if (i >= 0) conn.pending.splice(i, 1);
          if (conn.pending.length === 0) this.becameIdle(conn);
        }
        onRelease();
      },
    };
    res.once('close', p.release);
    if (!conn || conn.socket.destroyed) {
      queueMicrotask(p.release); // the socket is already gone: nothing will ever be written
      return p;
    }
    this.cancelLinger(conn);
    conn.pending.push(p);
    return p;
  }

  /**
   * From now on close each connection once it has no request pending and has stayed idle for
   * `lingerMs` (a request already on its way is then read and answered rather than lost).
   */
  drain(lingerMs: number): void {
    this.draining = true;
    this.lingerMs = lingerMs;
    for (const conn of this.conns.values()) if (conn.pending.length === 0) this.armLinger(conn);
  }

  /** Cuts every connection at once (the end of a shutdown's grace period). */
  destroyAll(): void {
    for (const conn of this.conns.values()) conn.socket.destroy();
  }

  private onConnection(socket: Socket): void {
    const conn: Conn = { socket, pending: [], idleSince: performance.now(), bytesAtIdle: 0, closing: false, closingSeq: 0, seq: 0, deferred: null, linger: null };
    if (this.conns.size >= this.opts.maxConnections && !this.evictOne()) {
      // Everyone is busy with a complete request: refuse the newcomer (it reads a response, not a reset).
      this.refused++;
      endGracefully(socket, rawResponse(503, 'Service Unavailable', `Retry-After: ${this.retryAfter}\r\n`));
      return;
    }
    this.conns.set(socket, conn);
    socket.once('close', () => {
      this.cancelLinger(conn);
      this.conns.delete(socket);
      for (const p of [...conn.pending]) p.release();
    });
    if (this.draining) this.armLinger(conn);
  }

  /** Closes the connection that has made no progress for the longest; false when none qualifies. */
  private evictOne(): boolean {
    const now = performance.now();
    let victim: Conn | null = null;
    let since = Infinity;
    for (const conn of this.conns.values()) {
      if (conn.closing || conn.socket.destroyed) continue;
      const head = conn.pending[0];
      // Only a connection whose every pending request is still arriving (or that has none) is
      // waiting on its client; one with a complete request is waiting on us.
      const t = conn.pending.length === 0 ? conn.idleSince : conn.pending.length === 1 && head!.receivingSince !== null ? head!.receivingSince : Infinity;
      if (t < since) {
        since = t;
        victim = conn;
      }
    }
    if (!victim || now - since < this.minEvictAgeMs) return false;
    this.evicted++;
    const head = victim.pending[0];
    this.markClosing(victim, head ? head.seq : victim.seq);
    if (head) {
      head.abort.abort(new HttpError(408, 'E_REQUEST_TIMEOUT', `request body still arriving after ${Math.round(now - since)} ms while the server is at its connection limit (${this.opts.maxConnections}, --max-connections): closed to make room`, { connection: 'close' }));
    } else if (victim.socket.bytesRead > victim.bytesAtIdle) {
      endGracefully(victim.socket, rawResponse(408, 'Request Timeout')); // headers were arriving, slowly
    } else {
      victim.socket.destroy(); // idle keep-alive
    }
    return true;
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const conn = this.conns.get(socket);
    if (!socket.writable || !conn) {
      socket.destroy();
      return;
    }
    if (conn.closing && conn.deferred !== null) return; // the parser reports every later chunk again
    const { status, reason } = clientErrorStatus(err);
    this.markClosing(conn, conn.seq);
    const last = conn.pending.at(-1);
    if (last && last.receivingSince !== null && status === 408) {
      // The request timed out while its body was arriving: it gets the 408 as its own response.
      last.abort.abort(new HttpError(408, 'E_REQUEST_TIMEOUT', `the request was not received in time (${this.server.requestTimeout} ms)`, { connection: 'close' }));
      return;
    }
    conn.deferred = rawResponse(status, reason);
    if (conn.pending.length === 0) this.flushDeferred(conn);
  }

  /** The response to request `seq` (or, with no request, the raw one) closes the connection. */
  private markClosing(conn: Conn, seq: number): void {
    if (conn.closing && conn.closingSeq <= seq) return;
    conn.closing = true;
    conn.closingSeq = seq;
  }

  private becameIdle(conn: Conn): void {
    conn.idleSince = performance.now();
    conn.bytesAtIdle = conn.socket.bytesRead;
    if (conn.deferred !== null) this.flushDeferred(conn);
    else if (this.draining) this.armLinger(conn);
  }

  private flushDeferred(conn: Conn): void {
    const bytes = conn.deferred!;
    conn.deferred = '';
    if (conn.socket.writable) endGracefully(conn.socket, bytes);
    else conn.socket.destroy();
  }

  private armLinger(conn: Conn): void {
    this.cancelLinger(conn);
    conn.linger = setTimeout(() => {
      conn.linger = null;
      if (conn.pending.length > 0) return;
      // Bytes of a request arrived but its headers are not complete yet: let it finish (the
      // headers timeout bounds it); it will be answered 503 with Connection: close.
      if (conn.socket.bytesRead > conn.bytesAtIdle) return this.armLinger(conn);
      conn.socket.destroy();
    }, this.lingerMs);
  }

  private cancelLinger(conn: Conn): void {
    if (conn.linger) clearTimeout(conn.linger);
    conn.linger = null;
  }
}
