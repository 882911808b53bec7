// HTTP serving of a classifier: micro-batching, request limits, CORS, Prometheus metrics; standalone or mounted in a host app.
export { PredictServer, createPredictServer, DEFAULT_KEEP_ALIVE_MS, type ServeOptions, type PredictionJson, type ServeState, type ReloadOutcome, type ServeMode, type NextFunction } from './server.js';
export { createRequestHandler, type PredictRequestHandler, type RequestHandlerOptions } from './handler.js';
export { corsMiddleware, CorsOriginError, type CorsMiddleware } from './cors.js';
export { ModelSlot, type Scored, type SlotBatcherOptions } from './model-slot.js';
export { MicroBatcher, type BatcherOptions } from './batcher.js';
export { HttpError, ListenError, ReloadRefusedError, ServeModeError } from './errors.js';
export { DEFAULT_LIMITS, hostBody, parsePredictBody, readBody, type RequestLimits } from './request.js';
export { PROMETHEUS_CONTENT_TYPE, parsePrometheus, serverMetrics, type MetricsOptions, type ServerMetrics } from './metrics.js';
export { ConnectionTracker, defaultMaxConnections, clientErrorStatus, type TrackedRequest, type ConnectionOptions } from './connections.js';
export { FairQueue, similarLength } from './fair-queue.js';
