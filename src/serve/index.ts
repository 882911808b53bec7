// HTTP serving of a classifier: micro-batching, request limits, Prometheus metrics.
export { PredictServer, createPredictServer, type ServeOptions, type PredictionJson } from './server.js';
export { MicroBatcher, type BatcherOptions } from './batcher.js';
export { HttpError, ListenError } from './errors.js';
export { DEFAULT_LIMITS, parsePredictBody, readBody, type RequestLimits } from './request.js';
export { Counter, Gauge, Histogram, Registry, parsePrometheus, serverMetrics } from './metrics.js';
export { ConnectionTracker, defaultMaxConnections, clientErrorStatus, type TrackedRequest, type ConnectionOptions } from './connections.js';
export { FairQueue, similarLength } from './fair-queue.js';
