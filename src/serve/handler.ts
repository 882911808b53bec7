// The prediction service as a request handler to mount in an existing application: a plain Node
// `http` server, Express/connect (`app.use('/ml', handler)`), or Fastify (hijack the reply and pass
// the raw request). The host owns the server, its connections and timeouts; the handler answers
// POST /v1/predict, GET /healthz and GET /metrics below its base path, with the same micro-batching,
// limits, CORS and metrics as `highway-onnx serve`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Predictor } from '../runtime/predictor.js';
import { PredictServer, type NextFunction, type ReloadOutcome, type ServeOptions, type ServeState } from './server.js';

/** Options of a mounted handler: the server's, less those of its own http.Server and connections. */
export interface RequestHandlerOptions extends Omit<ServeOptions, 'requestTimeoutMs' | 'headersTimeoutMs' | 'maxConnections' | 'drainLingerMs' | 'keepAliveMs'> {
  /**
   * Path prefix the routes sit under in the host, e.g. `/ml` for `/ml/v1/predict` (default: none).
   * Express strips a mount path itself (`app.use('/ml', handler)`): leave this empty there.
   */
  basePath?: string;
}

/**
 * A connect-style request handler, `(req, res, next?)`. Without `next`, a path it does not answer
 * gets a 404 JSON error; with `next` (Express, connect), such a request goes on to the host's next
 * handler.
 */
export interface PredictRequestHandler {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /** The prom-client registry holding the metrics (the one given in options.metrics, or its own). */
  readonly registry: Registry;
  /** 'loading' until a model is installed, 'ready' while serving, 'draining' once closed. */
  readonly state: ServeState;
  /** The service underneath (install/reload a model, generation, predictor). */
  readonly service: PredictServer;
  /** Swaps in a new model (see PredictServer.reload): in-flight requests finish on the old one. */
  reload(load: () => Promise<Predictor>): Promise<ReloadOutcome>;
  /**
   * Stops serving: new requests get 503 E_SHUTTING_DOWN, requests received are answered, then it
   * resolves (`forced`: graceMs ran out first). The model serving stays the caller's to release.
   */
  close(graceMs?: number): Promise<{ forced: boolean }>;
}

/**
 * Creates a request handler serving `predictor` (or null: 'loading' until `reload`/`service.install`).
 * @throws ModelLoadError (E_MODEL_LOAD) when the model carries no vocabulary; CorsOriginError
 *   (E_CORS_ORIGIN) for a malformed CORS origin; RangeError for a basePath not starting with '/'.
 */
export function createRequestHandler(predictor: Predictor | null, options: RequestHandlerOptions = {}): PredictRequestHandler {
  const { basePath = '', ...serveOptions } = options;
  const base = basePath.replace(/\/+$/, '');
  if (base !== '' && !base.startsWith('/')) throw new RangeError(`basePath must start with "/", found ${JSON.stringify(basePath)}`);
  const service = new PredictServer(predictor, serveOptions, 'mounted');
  const handler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void => {
    const full = (req.url ?? '/').split('?')[0]!;
    const inside = base === '' || full === base || full.startsWith(`${base}/`);
    // Outside the base path: not ours. With no `next` to pass it on, the service answers 404.
    const path = inside ? full.slice(base.length) || '/' : full;
    if (!inside && next) return next();
    void service.handle(req, res, next, path);
  };
  return Object.defineProperties(handler, {
    registry: { get: () => service.metrics.registry },
    state: { get: () => service.state },
    service: { value: service },
    reload: { value: (load: () => Promise<Predictor>) => service.reload(load) },
    close: { value: (graceMs?: number) => service.shutdown(graceMs) },
  }) as PredictRequestHandler;
}
