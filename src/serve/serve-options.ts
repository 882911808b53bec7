// The server's options and the small types its parts share (state, mode, the host's `next`), with
// the defaults filled in once, at construction.
import { defaultMaxConnections } from './connections.js';
import type { MetricsOptions } from './metrics.js';
import { DEFAULT_LIMITS, type RequestLimits } from './request.js';

export interface ServeOptions extends Partial<RequestLimits> {
  /** Most texts in one onnxruntime run (default 32). */
  maxBatch?: number;
  /** Longest a text waits for others to fill its batch, ms (default 5). */
  maxWaitMs?: number;
  /** Texts allowed to wait at once before requests are refused with 503. */
  maxQueue?: number;
  /** Whole-request time limit, ms (default 30 000): slow clients cannot hold a socket forever (they get 408). */
  requestTimeoutMs?: number;
  /** Time limit for the request headers, ms (default min(10 000, requestTimeoutMs)). */
  headersTimeoutMs?: number;
  /** Most open connections; past it the least active one is closed for a newcomer (default: file-descriptor limit − 128). */
  maxConnections?: number;
  /** While draining, how long (ms) an idle keep-alive connection stays open for a request already on its way (default 500). */
  drainLingerMs?: number;
  /** How long (ms) a request waits for room in a full queue before it gets 503 (default 1000; 0: at once). */
  queueTimeoutMs?: number;
  /**
   * How long (ms) an idle keep-alive connection stays open (default 65 000: longer than the idle
   * timeouts of common load balancers, e.g. AWS ALB's 60 s, so the balancer closes first and never
   * sends a request onto a connection the server is closing).
   */
  keepAliveMs?: number;
  /** Where the server logs (default: stderr). */
  log?: (line: string) => void;
  /**
   * Origins allowed to call the server from a browser (CORS), e.g. `['https://app.example.com']`;
   * `['*']` allows any origin. Default: none (no CORS headers; OPTIONS still answers 204 with Allow).
   */
  corsOrigins?: readonly string[];
  /** Where the Prometheus metrics are registered, and whether process metrics are collected too. */
  metrics?: MetricsOptions;
}

/** Default idle keep-alive timeout, ms (see ServeOptions.keepAliveMs). */
export const DEFAULT_KEEP_ALIVE_MS = 65_000;

/** Where the server stands: no model yet, serving, or shutting down. */
export type ServeState = 'loading' | 'ready' | 'draining';

/** How a PredictServer meets its requests: its own listening http.Server, or a host application's. */
export type ServeMode = 'standalone' | 'mounted';

/** A host framework's continuation (Express/connect `next`): called for paths the server does not answer. */
export type NextFunction = (err?: unknown) => void;

/** The options a server runs with, defaults filled in (sizes in texts, bytes and characters; times in ms). */
export interface ResolvedServeOptions extends RequestLimits {
  maxBatch: number;
  maxWaitMs: number;
  maxConnections: number;
  keepAliveMs: number;
}

/**
 * `opts` with the defaults filled in.
 * @throws RangeError when keepAliveMs is not > 0.
 */
export function resolveServeOptions(opts: ServeOptions): ResolvedServeOptions {
  const options: ResolvedServeOptions = {
    maxBatch: opts.maxBatch ?? 32,
    maxWaitMs: opts.maxWaitMs ?? 5,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
    maxTexts: opts.maxTexts ?? DEFAULT_LIMITS.maxTexts,
    maxChars: opts.maxChars ?? DEFAULT_LIMITS.maxChars,
    maxConnections: opts.maxConnections ?? defaultMaxConnections(),
    keepAliveMs: opts.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
  };
  if (!(options.keepAliveMs > 0)) throw new RangeError(`keepAliveMs must be > 0, found ${options.keepAliveMs}`);
  return options;
}
