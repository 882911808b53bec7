// The HTTP server: POST /v1/predict, GET /healthz, GET /metrics, over Node's http module, either
// standalone (its own http.Server, connection tracking, graceful shutdown) or mounted as a request
// handler inside a host application's server (see handler.ts). CORS, when configured, is answered
// on every route, OPTIONS preflights included.
// Requests are validated before any work, scored through the micro-batcher, and answered
// with JSON; errors are `{"error": {"code", "message"}}` with a 4xx/5xx status.
// The server can listen before its model is loaded (state 'loading': /healthz and predictions
// answer 503 with Retry-After, so a load balancer's readiness probe holds traffic back) and can
// swap models while serving (install/reload: atomic for new requests, in-flight ones finish on
// the model they started on).
// This file routes requests and holds the parts together: the options (serve-options.ts), the
// models and their swaps (served-models.ts), the routes (predict-route.ts, health.ts), response
// writing (respond.ts), and listening and shutdown (lifecycle.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Predictor } from '../runtime/predictor.js';
import { ConnectionTracker } from './connections.js';
import { HttpError, ServeModeError } from './errors.js';
import { hostRequest } from './host-request.js';
import { answerHealth } from './health.js';
import { InflightRequests, listenOn, shutdownMounted, shutdownStandalone, type Drain, type ListeningAddress } from './lifecycle.js';
import { PROMETHEUS_CONTENT_TYPE, serverMetrics } from './metrics.js';
import { corsMiddleware, type CorsMiddleware } from './cors.js';
import { PredictRoute } from './predict-route.js';
import { sendJson, sendText, toHttpError } from './respond.js';
import { ServedModels, type ReloadOutcome } from './served-models.js';
import { resolveServeOptions, type NextFunction, type ResolvedServeOptions, type ServeMode, type ServeOptions, type ServeState } from './serve-options.js';

export { DEFAULT_KEEP_ALIVE_MS, type NextFunction, type ResolvedServeOptions, type ServeMode, type ServeOptions, type ServeState } from './serve-options.js';
export type { ReloadOutcome } from './served-models.js';
export type { PredictionJson } from './predict-route.js';

/** Methods each route answers (OPTIONS is answered on every route besides these). */
const ROUTES: Record<string, string[]> = { '/v1/predict': ['POST'], '/healthz': ['GET', 'HEAD'], '/metrics': ['GET', 'HEAD'] };
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The prediction service: one model at a time (swappable), its routes, and its life cycle. */
export class PredictServer {
  private readonly http: Server | null;
  readonly metrics: ReturnType<typeof serverMetrics>;
  readonly options: ResolvedServeOptions;
  /** Connection bookkeeping of the standalone server (null when mounted: the host owns the connections). */
  readonly connections: ConnectionTracker | null;
  private readonly cors: CorsMiddleware | null;
  private readonly drainLingerMs: number;
  private draining = false;
  private readonly inflight = new InflightRequests();
  private shuttingDown: Promise<{ forced: boolean }> | null = null;
  private readonly log: (line: string) => void;
  private readonly models: ServedModels;
  private readonly predictRoute: PredictRoute;

  /**
   * @param predictor the model to serve, or null to start in state 'loading' and `install` or
   *   `reload` one later. The caller keeps ownership of the model serving at shutdown
   *   (`predictor`); models replaced by install/reload are released by the server.
   * @param mode 'standalone' (default) creates the http.Server that `listen` binds; 'mounted' creates
   *   none: requests come through `handle` from a host application (use `createRequestHandler`).
   * @throws ModelLoadError (E_MODEL_LOAD) when the model carries no vocabulary, or is a pre-tokenized
   *   raw-text model; CorsOriginError (E_CORS_ORIGIN) for a malformed CORS origin; RangeError for a
   *   keepAliveMs not > 0; Error (prom-client's) when `metrics.registry` already holds one of the
   *   server's metric names.
   */
  constructor(predictor: Predictor | null, opts: ServeOptions = {}, mode: ServeMode = 'standalone') {
    this.metrics = serverMetrics(opts.metrics);
    this.cors = opts.corsOrigins && opts.corsOrigins.length > 0 ? corsMiddleware(opts.corsOrigins, (path) => ROUTES[path]) : null;
    this.options = resolveServeOptions(opts);
    this.drainLingerMs = opts.drainLingerMs ?? 500;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.models = new ServedModels({
      maxBatch: this.options.maxBatch,
      maxWaitMs: this.options.maxWaitMs,
      maxQueue: opts.maxQueue,
      queueTimeoutMs: opts.queueTimeoutMs,
      metrics: this.metrics,
      log: this.log,
      stragglers: () => this.predictRoute.receiving,
      closed: () => this.draining,
    });
    this.predictRoute = new PredictRoute(this.models, this.options);
    if (predictor) this.install(predictor);
    // Node's own knobs bound slow clients: headers and whole requests that take too long end in
    // 408 (see ConnectionTracker's clientError handling). Node checks them only every
    // connectionsCheckingInterval (30 s by default), so it follows the headers timeout.
    const requestTimeout = opts.requestTimeoutMs ?? 30_000;
    const headersTimeout = opts.headersTimeoutMs ?? Math.min(requestTimeout, 10_000);
    if (mode === 'mounted') {
      this.http = null;
      this.connections = null;
      return;
    }
    this.http = createServer(
      { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(10, Math.min(30_000, headersTimeout / 4)) },
      (req, res) => void this.handle(req, res),
    );
    this.http.keepAliveTimeout = this.options.keepAliveMs;
    this.connections = new ConnectionTracker(this.http, { maxConnections: this.options.maxConnections });
  }

  /**
   * The standalone server's http.Server.
   * @throws ServeModeError (E_SERVE_MODE) when mounted: the host application owns the server.
   */
  get server(): Server {
    if (!this.http) throw new ServeModeError('this server is mounted in a host application: it has no http.Server of its own (listen on the host\'s)');
    return this.http;
  }

  /**
   * Binds the standalone server to host:port (port 0: any free port).
   * @throws ListenError (E_LISTEN) when the address cannot be bound; ServeModeError (E_SERVE_MODE) when mounted.
   */
  listen(port: number, host = '127.0.0.1'): Promise<ListeningAddress> {
    return listenOn(this.server, port, host);
  }

  /** True once shutdown has begun. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** 'loading' until a model is installed, 'ready' while serving, 'draining' once shutdown began. */
  get state(): ServeState {
    return this.draining ? 'draining' : this.models.current ? 'ready' : 'loading';
  }

  /** The model new requests go to (null while the first one loads). */
  get predictor(): Predictor | null {
    return this.models.current?.predictor ?? null;
  }

  /** The generation serving: 0 while the first model loads, 1 for the first, +1 per swap. */
  get generation(): number {
    return this.models.generation;
  }

  /**
   * Serves `predictor` from now on. The swap is atomic: every request whose body is complete from
   * now on is encoded, scored and labelled by the new model; requests already pinned to the
   * previous one finish on it, and the previous one is released once they have (the server owns
   * it). Returns the new generation.
   * @throws ModelLoadError (E_MODEL_LOAD) when the model has no vocabulary or is a pre-tokenized
   *   raw-text model (clients send raw text); ReloadRefusedError
   *   (E_SHUTTING_DOWN) once shutdown has begun.
   */
  install(predictor: Predictor): number {
    return this.models.install(predictor);
  }

  /**
   * Loads a model with `load` (which should vet it: `loadModel` does) and installs it; when
   * loading or installing fails, the current model keeps serving and the outcome carries the
   * coded error. One reload runs at a time: a call made while one runs waits for it and then
   * loads again (the file may have changed since the running one read it); further calls made
   * meanwhile share that second load.
   */
  reload(load: () => Promise<Predictor>): Promise<ReloadOutcome> {
    return this.models.reload(load);
  }

  /**
   * Graceful stop: stop accepting connections (new ones are refused), stop batching waits, answer
   * every request already received (requests arriving on open connections get 503 with
   * `Connection: close`, the last response on each connection closes it, idle connections close
   * after a short linger), then resolve. After graceMs, remaining connections are cut; `forced`
   * says whether requests were cut with them.
   */
  shutdown(graceMs = 30_000): Promise<{ forced: boolean }> {
    if (this.shuttingDown) return this.shuttingDown;
    this.draining = true;
    const drain: Drain = { graceMs, inflight: this.inflight, drainBatches: () => this.models.drainBatches(), releaseReplaced: () => this.models.releaseReplaced(), log: this.log };
    this.shuttingDown = this.connections ? shutdownStandalone(this.server, this.connections, this.drainLingerMs, drain) : shutdownMounted(drain);
    return this.shuttingDown;
  }

  /**
   * Answers one request. `path` is the route as the server sees it (default: req.url's path; the
   * mounted handler passes it with its base path stripped). With `next` (mounted in a host
   * framework), a path the server does not answer goes on to the host's next handler instead of
   * getting 404.
   */
  async handle(req: IncomingMessage, res: ServerResponse, next?: NextFunction, path = (req.url ?? '/').split('?')[0]!): Promise<void> {
    const t0 = performance.now();
    if (next && !(path in ROUTES)) return next();
    const route = path in ROUTES ? path : 'other';
    const method = METHODS.has(req.method ?? '') ? req.method! : 'other';
    this.inflight.begin();
    this.metrics.inflight.set(this.inflight.count);
    // Released exactly once: when the response closes, or when the connection closes before it
    // could be written (a pipelined request behind a closing response).
    const release = (): void => {
      this.metrics.requests.inc({ route, method, status: res.headersSent ? String(res.statusCode) : 'unanswered' });
      this.metrics.latency.observe({ route }, (performance.now() - t0) / 1000);
      this.inflight.end();
      this.metrics.inflight.set(this.inflight.count);
    };
    const t = this.connections ? this.connections.begin(req, res, release) : hostRequest(res, release);
    req.on('error', () => undefined); // a client that vanishes mid-body is handled by readBody
    if (t.doomed) {
      // An earlier response on this connection closes it: this request will never be written,
      // so no work is spent on it (HTTP/1.1 clients resend requests left unanswered that way).
      req.resume();
      return;
    }
    try {
      const allowed = ROUTES[path];
      // CORS headers go on every answer to an allowed origin (errors included, so a page can read
      // them); a preflight is answered here, before the route's own methods are checked.
      if (allowed && this.cors && this.cors(req, res, path)) return;
      if (allowed && req.method === 'OPTIONS') return sendText(res, t, 204, '', 'text/plain', true, { allow: [...allowed, 'OPTIONS'].join(', ') });
      if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return answerHealth(req, res, t, this.state, this.models.current, this.options);
      if (this.draining) throw new HttpError(503, 'E_SHUTTING_DOWN', 'the server is shutting down');
      if (!allowed) throw new HttpError(404, 'E_NOT_FOUND', `no route ${path}: the server answers POST /v1/predict, GET /healthz and GET /metrics`);
      if (!allowed.includes(req.method ?? '')) {
        throw new HttpError(405, 'E_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}: use ${allowed.join(' or ')}`, { allow: [...allowed, 'OPTIONS'].join(', ') });
      }
      if (path === '/v1/predict') await this.predictRoute.answer(req, res, t);
      else {
        if (this.connections) {
          this.metrics.connections.set(this.connections.size);
          this.metrics.connectionsClosed.set({ reason: 'evicted' }, this.connections.evicted);
          this.metrics.connectionsClosed.set({ reason: 'refused' }, this.connections.refused);
        }
        sendText(res, t, 200, await this.metrics.registry.metrics(), PROMETHEUS_CONTENT_TYPE, req.method === 'HEAD');
      }
    } catch (e) {
      const he = toHttpError(e);
      if (he.status >= 500 && he.code === 'E_INTERNAL') this.log(`highway-onnx: internal error on ${req.method} ${path}: ${(e as Error)?.stack ?? e}`);
      if (he.headers.connection === 'close') t.closesConnection();
      if (!res.headersSent) sendJson(res, t, he.status, { error: { code: he.code, message: he.message } }, false, he.headers);
      else res.destroy();
      if (he.headers.connection === 'close') req.resume(); // discard the rest of an oversized body
    }
  }
}

/** A standalone server for `predictor` (see PredictServer's constructor). */
export function createPredictServer(predictor: Predictor | null, opts: ServeOptions = {}): PredictServer {
  return new PredictServer(predictor, opts);
}
