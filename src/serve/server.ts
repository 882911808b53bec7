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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Predictor } from '../runtime/predictor.js';
import { Vocabulary } from '../data/vocab.js';
import { CodedError } from '../errors.js';
import { ModelLoadError } from '../runtime/errors.js';
import { METADATA_KEYS } from '../models/classifier-metadata.js';
import { ConnectionTracker, defaultMaxConnections, type TrackedRequest } from './connections.js';
import { HttpError, ListenError, ReloadRefusedError, ServeModeError } from './errors.js';
import { ModelSlot } from './model-slot.js';
import { PROMETHEUS_CONTENT_TYPE, serverMetrics, type MetricsOptions } from './metrics.js';
import { corsMiddleware, type CorsMiddleware } from './cors.js';
import { DEFAULT_LIMITS, hostBody, parsePredictBody, readBody, type RequestLimits } from './request.js';

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

/** Seconds a client refused while the model loads is told to wait (Retry-After). */
const LOADING_RETRY_AFTER_S = 1;

/** Where the server stands: no model yet, serving, or shutting down. */
export type ServeState = 'loading' | 'ready' | 'draining';

/** The result of `reload`: the generation now serving, and the error when the new model was refused. */
export type ReloadOutcome = { ok: true; generation: number; predictor: Predictor } | { ok: false; generation: number; error: CodedError };

export interface ResolvedServeOptions extends RequestLimits {
  maxBatch: number;
  maxWaitMs: number;
  maxConnections: number;
  keepAliveMs: number;
}

/**
 * One text's answer. The response is `{"labels": [...], "predictions": [PredictionJson, …]}`:
 * `probs` holds one probability per label, in the order of the response's `labels` (the API's
 * Prediction.probs and the CLI's rows have the same shape).
 */
export interface PredictionJson {
  label: string;
  probs: number[];
  /** Tokens the model saw, and how many of them it did not know. */
  tokens: number;
  unknown: number;
  /** The text has no token: the model saw one <unk> (its answer is the model's prior). */
  empty?: true;
  /** The text has tokens, none of them in the vocabulary. */
  allUnknown?: true;
}

interface Encoded {
  ids: number[];
  tokens: number;
  unknown: number;
}

/** Connections the kernel may queue before the server accepts them (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

/** Methods each route answers (OPTIONS is answered on every route besides these). */
const ROUTES: Record<string, string[]> = { '/v1/predict': ['POST'], '/healthz': ['GET', 'HEAD'], '/metrics': ['GET', 'HEAD'] };
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** How a PredictServer meets its requests: its own listening http.Server, or a host application's. */
export type ServeMode = 'standalone' | 'mounted';

/** A host framework's continuation (Express/connect `next`): called for paths the server does not answer. */
export type NextFunction = (err?: unknown) => void;

export class PredictServer {
  private readonly http: Server | null;
  readonly metrics: ReturnType<typeof serverMetrics>;
  readonly options: ResolvedServeOptions;
  /** Connection bookkeeping of the standalone server (null when mounted: the host owns the connections). */
  readonly connections: ConnectionTracker | null;
  private readonly cors: CorsMiddleware | null;
  private readonly tracked = new WeakMap<ServerResponse, TrackedRequest>();
  private readonly drainLingerMs: number;
  private draining = false;
  private inflight = 0;
  /** Called when the last request in flight is released (a mounted server's shutdown waits on it). */
  private onIdle: (() => void) | null = null;
  /** /v1/predict requests still being read and parsed: they may yet join the waiting batch. */
  private receiving = 0;
  private shuttingDown: Promise<{ forced: boolean }> | null = null;
  private readonly log: (line: string) => void;
  /** The model new requests go to (null while the first one loads). */
  private current: ModelSlot | null = null;
  /** Replaced models still finishing their requests. */
  private readonly retiring = new Set<ModelSlot>();
  private generations = 0;
  private reloading: Promise<ReloadOutcome> | null = null;
  private reloadAgain: Promise<ReloadOutcome> | null = null;
  private readonly maxQueue: number | undefined;
  private readonly queueTimeoutMs: number | undefined;

  /**
   * @param predictor the model to serve, or null to start in state 'loading' and `install` or
   *   `reload` one later. The caller keeps ownership of the model serving at shutdown
   *   (`predictor`); models replaced by install/reload are released by the server.
   * @param mode 'standalone' (default) creates the http.Server that `listen` binds; 'mounted' creates
   *   none: requests come through `handle` from a host application (use `createRequestHandler`).
   * @throws ModelLoadError (E_MODEL_LOAD) when the model carries no vocabulary, or is a pre-tokenized
   *   raw-text model; Error (prom-client's)
   *   when `metrics.registry` already holds one of the server's metric names.
   */
  constructor(predictor: Predictor | null, opts: ServeOptions = {}, mode: ServeMode = 'standalone') {
    this.metrics = serverMetrics(opts.metrics);
    this.cors = opts.corsOrigins && opts.corsOrigins.length > 0 ? corsMiddleware(opts.corsOrigins, (path) => ROUTES[path]) : null;
    this.options = {
      maxBatch: opts.maxBatch ?? 32,
      maxWaitMs: opts.maxWaitMs ?? 5,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
      maxTexts: opts.maxTexts ?? DEFAULT_LIMITS.maxTexts,
      maxChars: opts.maxChars ?? DEFAULT_LIMITS.maxChars,
      maxConnections: opts.maxConnections ?? defaultMaxConnections(),
      keepAliveMs: opts.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
    };
    if (!(this.options.keepAliveMs > 0)) throw new RangeError(`keepAliveMs must be > 0, found ${this.options.keepAliveMs}`);
    this.drainLingerMs = opts.drainLingerMs ?? 500;
    this.maxQueue = opts.maxQueue;
    this.queueTimeoutMs = opts.queueTimeoutMs;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.metrics.generation.set(0);
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

  listen(port: number, host = '127.0.0.1'): Promise<{ host: string; port: number; url: string }> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? `no such local address` : e.message;
        reject(new ListenError(`cannot listen on ${host}:${port}: ${why}`));
      };
      this.server.once('error', onError);
      // A deep accept queue (Node's default is 511): a burst of clients connecting at once
      // otherwise overflows it, and the kernel's SYN retries (1 s, 3 s, …) become their latency.
      this.server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
        this.server.off('error', onError);
        const a = this.server.address() as AddressInfo;
        const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        resolve({ host: a.address, port: a.port, url: `http://${h}:${a.port}` });
      });
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** 'loading' until a model is installed, 'ready' while serving, 'draining' once shutdown began. */
  get state(): ServeState {
    return this.draining ? 'draining' : this.current ? 'ready' : 'loading';
  }

  /** The model new requests go to (null while the first one loads). */
  get predictor(): Predictor | null {
    return this.current?.predictor ?? null;
  }

  /** The generation serving: 0 while the first model loads, 1 for the first, +1 per swap. */
  get generation(): number {
    return this.current?.generation ?? 0;
  }

  /** Texts waiting for a batch, over the current model and those finishing their requests. */
  private get queuedTexts(): number {
    let n = this.current?.batcher.queued ?? 0;
    for (const s of this.retiring) n += s.batcher.queued;
    return n;
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
    if (!predictor.info.vocab) throw new ModelLoadError(`the model carries no vocabulary (metadata ${METADATA_KEYS.vocab}), so it cannot score texts: build or export it with one`);
    if (predictor.takesText && predictor.info.textInput?.tokenizer !== 'graph') {
      // Clients send raw text; such a graph would score it cut differently from the source model.
      throw new ModelLoadError("the model is a pre-tokenized raw-text model (export-text --pretokenized): its graph only lower-cases and splits on spaces, and serve receives raw texts. Export it again with --unicode-by-caller (the tokenizer inside the graph), or serve the ids model");
    }
    if (this.draining) throw new ReloadRefusedError('the server is shutting down: the new model is not installed');
    const m = this.metrics;
    const slot = new ModelSlot(
      predictor,
      ++this.generations,
      {
        maxBatch: this.options.maxBatch,
        maxWaitMs: this.options.maxWaitMs,
        ...(this.maxQueue ? { maxQueue: this.maxQueue } : {}),
        ...(this.queueTimeoutMs !== undefined ? { queueTimeoutMs: this.queueTimeoutMs } : {}),
        onBatch: (size, seconds) => {
          m.batchSize.observe(size);
          m.batchSeconds.observe(seconds);
          m.texts.inc(size);
        },
        onQueue: () => m.queued.set(this.queuedTexts),
        stragglers: () => this.receiving,
      },
      (e) => this.log(`highway-onnx: releasing the replaced model (generation ${slot.generation}) failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`),
    );
    const previous = this.current;
    this.current = slot;
    if (previous) this.retireSlot(previous);
    const cfg = predictor.info.config;
    m.info.reset();
    m.info.set({ kind: cfg.kind, layers: String(cfg.layers), labels: predictor.labels.join(','), provider: predictor.provider }, 1);
    m.generation.set(slot.generation);
    return slot.generation;
  }

  /**
   * Loads a model with `load` (which should vet it: `loadModel` does) and installs it; when
   * loading or installing fails, the current model keeps serving and the outcome carries the
   * coded error. One reload runs at a time: a call made while one runs waits for it and then
   * loads again (the file may have changed since the running one read it); further calls made
   * meanwhile share that second load.
   */
  reload(load: () => Promise<Predictor>): Promise<ReloadOutcome> {
    if (this.reloadAgain) return this.reloadAgain;
    if (this.reloading) {
      const again = this.reloading.then(() => {
        this.reloadAgain = null;
        return this.runReload(load);
      });
      this.reloadAgain = again;
      return again;
    }
    return this.runReload(load);
  }

  private runReload(load: () => Promise<Predictor>): Promise<ReloadOutcome> {
    const run = (async (): Promise<ReloadOutcome> => {
      let predictor: Predictor;
      try {
        predictor = await load();
      } catch (e) {
        return this.reloadFailed(e);
      }
      try {
        return { ok: true, generation: this.install(predictor), predictor };
      } catch (e) {
        await predictor.release().catch(() => undefined);
        return this.reloadFailed(e);
      }
    })();
    this.reloading = run;
    void run.finally(() => {
      if (this.reloading === run) this.reloading = null;
    });
    return run;
  }

  private reloadFailed(e: unknown): ReloadOutcome {
    this.metrics.reloads.inc({ result: 'failed' });
    const error = e instanceof CodedError ? e : new ModelLoadError(e instanceof Error ? e.message : String(e));
    return { ok: false, generation: this.generation, error };
  }

  private retireSlot(slot: ModelSlot): void {
    this.metrics.reloads.inc({ result: 'ok' });
    this.retiring.add(slot);
    void slot.retire().then(() => {
      this.retiring.delete(slot);
      this.metrics.queued.set(this.queuedTexts);
    });
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
    this.shuttingDown = this.connections ? this.shutdownStandalone(this.connections, graceMs) : this.shutdownMounted(graceMs);
    return this.shuttingDown;
  }

  /**
   * Mounted: the host owns the connections, so shutting down means refusing new requests (503),
   * finishing those received, and releasing replaced models; `forced` when graceMs ran out first.
   */
  private async shutdownMounted(graceMs: number): Promise<{ forced: boolean }> {
    void this.current?.batcher.drain();
    for (const s of this.retiring) void s.batcher.drain();
    if (this.inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => (this.onIdle = r)), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    const forced = this.inflight > 0;
    if (!forced) await Promise.all([...this.retiring].map((s) => s.retire()));
    return { forced };
  }

  private shutdownStandalone(connections: ConnectionTracker, graceMs: number): Promise<{ forced: boolean }> {
    return (async () => {
      // net.Server's close, not http.Server's: the latter also closes every idle keep-alive
      // connection at once (a request already on its way on one is then lost) and stops the
      // header/request timeout checks that bound slow clients while draining.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
      connections.drain(this.drainLingerMs);
      void this.current?.batcher.drain();
      for (const s of this.retiring) void s.batcher.drain();
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
      clearTimeout(timer);
      const cut = this.inflight;
      if (!finished) {
        if (cut > 0) this.log(`highway-onnx: shutdown grace period (${graceMs} ms) over: closing ${cut} unfinished request(s)`);
        connections.destroyAll();
        await closed;
      }
      this.server.close(); // already closed: only stops Node's timeout checks
      // Replaced models are released once their requests are done; after a cut, a batch may still
      // be running on one, and the process is about to end anyway.
      if (finished) await Promise.all([...this.retiring].map((s) => s.retire()));
      return { forced: !finished && cut > 0 };
    })();
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
    this.inflight++;
    this.metrics.inflight.set(this.inflight);
    // Released exactly once: when the response closes, or when the connection closes before it
    // could be written (a pipelined request behind a closing response).
    const release = (): void => {
      this.metrics.requests.inc({ route, method, status: res.headersSent ? String(res.statusCode) : 'unanswered' });
      this.metrics.latency.observe({ route }, (performance.now() - t0) / 1000);
      this.inflight--;
      this.metrics.inflight.set(this.inflight);
      if (this.inflight === 0) this.onIdle?.();
    };
    const t = this.connections ? this.connections.begin(req, res, release) : hostRequest(res, release);
    this.tracked.set(res, t);
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
      if (allowed && req.method === 'OPTIONS') return this.sendText(res, 204, '', 'text/plain', true, { allow: [...allowed, 'OPTIONS'].join(', ') });
      if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return this.health(req, res);
      if (this.draining) throw new HttpError(503, 'E_SHUTTING_DOWN', 'the server is shutting down');
      if (!allowed) throw new HttpError(404, 'E_NOT_FOUND', `no route ${path}: the server answers POST /v1/predict, GET /healthz and GET /metrics`);
      if (!allowed.includes(req.method ?? '')) {
        throw new HttpError(405, 'E_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}: use ${allowed.join(' or ')}`, { allow: [...allowed, 'OPTIONS'].join(', ') });
      }
      if (path === '/v1/predict') await this.predict(req, res, t);
      else {
        if (this.connections) {
          this.metrics.connections.set(this.connections.size);
          this.metrics.connectionsClosed.set({ reason: 'evicted' }, this.connections.evicted);
          this.metrics.connectionsClosed.set({ reason: 'refused' }, this.connections.refused);
        }
        this.sendText(res, 200, await this.metrics.registry.metrics(), PROMETHEUS_CONTENT_TYPE, req.method === 'HEAD');
      }
    } catch (e) {
      const he = toHttpError(e);
      if (he.status >= 500 && he.code === 'E_INTERNAL') this.log(`highway-onnx: internal error on ${req.method} ${path}: ${(e as Error)?.stack ?? e}`);
      if (he.headers.connection === 'close') t.closesConnection();
      if (!res.headersSent) this.send(res, he.status, { error: { code: he.code, message: he.message } }, false, he.headers);
      else res.destroy();
      if (he.headers.connection === 'close') req.resume(); // discard the rest of an oversized body
    }
  }

  /**
   * The readiness probe: 200 with the model while serving; 503 while the first model loads and
   * while draining, so a load balancer sends this replica no new traffic.
   */
  private health(req: IncomingMessage, res: ServerResponse): void {
    const headOnly = req.method === 'HEAD';
    const state = this.state;
    if (state === 'ready') return this.send(res, 200, { status: 'ok', model: this.modelSummary() }, headOnly);
    const headers: Record<string, string> = state === 'loading' ? { 'retry-after': String(LOADING_RETRY_AFTER_S) } : {};
    this.send(res, 503, { status: state }, headOnly, headers);
  }

  private loadingError(): HttpError {
    return new HttpError(503, 'E_LOADING', `the model is still loading: retry after ${LOADING_RETRY_AFTER_S} s (GET /healthz answers 200 once it serves)`, { 'retry-after': String(LOADING_RETRY_AFTER_S) });
  }

  private async predict(req: IncomingMessage, res: ServerResponse, t: TrackedRequest): Promise<void> {
    if (!this.current) throw this.loadingError();
    // Any Content-Type is read as JSON (curl -d sends a form type); a body that is not JSON gets E_BAD_JSON.
    let texts: string[];
    this.receiving++;
    t.receiving(true);
    try {
      const body = hostBody(req, this.options.maxBodyBytes) ?? (await readBody(req, this.options.maxBodyBytes, t.signal));
      t.receiving(false);
      texts = parsePredictBody(body, this.options);
    } catch (e) {
      t.receiving(false);
      this.receiving--;
      this.current?.batcher.poke(); // a batch waiting for this request need not wait any longer
      throw e;
    }
    this.receiving--;
    if (t.doomed) return;
    // The request is pinned to the model serving now: its ids come from that model's vocabulary,
    // so that model alone scores and labels it, even if a reload swaps in another meanwhile.
    const slot = this.current;
    if (!slot) throw this.loadingError(); // cannot happen: a server never goes back to loading
    const unpin = slot.acquire();
    try {
      const encoded = texts.map((text) => this.encode(slot.predictor, text));
      // A raw-text model takes the texts themselves (its graph tokenizes them; loadModel applies rule 0).
      const preds = await slot.batcher.submit(encoded.map((e, i) => ({ input: slot.predictor.takesText ? texts[i]! : e.ids, tokens: e.tokens })));
      const predictions: PredictionJson[] = preds.map((p, i) => {
        const { tokens, unknown } = encoded[i]!;
        return { label: p.label, probs: p.probs, tokens, unknown, ...(tokens === 0 ? { empty: true as const } : unknown === tokens ? { allUnknown: true as const } : {}) };
      });
      // The labels of the model that scored this request (a reload may change them between requests).
      this.send(res, 200, { labels: slot.predictor.labels, predictions });
    } finally {
      unpin();
    }
  }

  private encode(predictor: Predictor, text: string): Encoded {
    const { ids } = predictor.encode(text);
    let unknown = 0;
    for (const id of ids) if (id === Vocabulary.UNK_ID) unknown++;
    return { ids, tokens: ids.length, unknown };
  }

  private modelSummary(): Record<string, unknown> {
    const { predictor, generation, loadedAt } = this.current!;
    const c = predictor.info.config;
    return {
      kind: c.kind, layers: c.layers, hidden: c.hidden, labels: predictor.labels, vocabSize: c.vocabSize, provider: predictor.provider, maxBatch: this.options.maxBatch, maxWaitMs: this.options.maxWaitMs, generation, loadedAt: loadedAt.toISOString(),
      ...(predictor.info.untrained !== undefined ? { untrained: predictor.info.untrained } : {}),
    };
  }

  private send(res: ServerResponse, status: number, body: unknown, headOnly = false, headers: Record<string, string> = {}): void {
    this.sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headOnly, headers);
  }

  private sendText(res: ServerResponse, status: number, text: string, type: string, headOnly = false, headers: Record<string, string> = {}): void {
    const buf = Buffer.from(text, 'utf8');
    const h: Record<string, string | number> = { 'content-type': type, 'content-length': buf.length, ...headers };
    if (this.tracked.get(res)?.lastWhileDraining()) h.connection = 'close';
    res.writeHead(status, h);
    res.end(headOnly ? undefined : buf);
  }
}

/**
 * A request of a mounted server as the tracker would see it: the host application owns the
 * connection (timeouts, keep-alive, closing), so nothing dooms or aborts it here; it is released
 * once, when its response closes (finished, or the connection went away).
 */
function hostRequest(res: ServerResponse, release: () => void): TrackedRequest {
  let released = false;
  res.once('close', () => {
    if (released) return;
    released = true;
    release();
  });
  return { signal: new AbortController().signal, doomed: false, receiving: () => undefined, lastWhileDraining: () => false, closesConnection: () => undefined };
}

function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  if (code === 'E_PREDICT_INPUT') return new HttpError(400, code, message);
  if (code === 'E_MODEL_RUN') return new HttpError(500, code, message);
  return new HttpError(500, 'E_INTERNAL', 'internal server error (logged on the server)');
}

export function createPredictServer(predictor: Predictor | null, opts: ServeOptions = {}): PredictServer {
  return new PredictServer(predictor, opts);
}
