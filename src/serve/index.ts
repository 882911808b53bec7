// HTTP serving of a classifier: micro-batching, request limits, Prometheus metrics.
export { PredictServer, createPredictServer, DEFAULT_KEEP_ALIVE_MS, type ServeOptions, type PredictionJson, type ServeState, type ReloadOutcome } from './server.js';
export { ModelSlot, type Scored, type SlotBatcherOptions } from './model-slot.js';
export { MicroBatcher, type BatcherOptions } from './batcher.js';
export { HttpError, ListenError, ReloadRefusedError } from './errors.js';
export { DEFAULT_LIMITS, parsePredictBody, readBody, type RequestLimits } from './request.js';
export { Counter, Gauge, Histogram, Registry, parsePrometheus, serverMetrics } from './metrics.js';
export { ConnectionTracker, defaultMaxConnections, clientErrorStatus, type TrackedRequest, type ConnectionOptions } from './connections.js';
export { FairQueue, similarLength } from './fair-queue.js';
