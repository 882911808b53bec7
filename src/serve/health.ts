// GET /healthz, the readiness probe: 200 with the model while serving; 503 while the first model
// loads (with Retry-After) and while draining, so a load balancer sends this replica no new traffic.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TrackedRequest } from './connections.js';
import { HttpError } from './errors.js';
import type { ModelSlot } from './model-slot.js';
import { sendJson } from './respond.js';
import type { ResolvedServeOptions, ServeState } from './serve-options.js';

/** Seconds a client refused while the model loads is told to wait (Retry-After). */
export const LOADING_RETRY_AFTER_S = 1;

/** The refusal of a prediction while the first model loads: 503 E_LOADING with Retry-After. */
export function loadingError(): HttpError {
  return new HttpError(503, 'E_LOADING', `the model is still loading: retry after ${LOADING_RETRY_AFTER_S} s (GET /healthz answers 200 once it serves)`, { 'retry-after': String(LOADING_RETRY_AFTER_S) });
}

/**
 * Answers the probe (GET or HEAD). `slot` is the model serving, non-null when `state` is 'ready';
 * `options` supplies the batching settings the 200 body reports.
 */
export function answerHealth(req: IncomingMessage, res: ServerResponse, t: TrackedRequest, state: ServeState, slot: ModelSlot | null, options: ResolvedServeOptions): void {
  const headOnly = req.method === 'HEAD';
  if (state === 'ready') return sendJson(res, t, 200, { status: 'ok', model: modelSummary(slot!, options) }, headOnly);
  const headers: Record<string, string> = state === 'loading' ? { 'retry-after': String(LOADING_RETRY_AFTER_S) } : {};
  sendJson(res, t, 503, { status: state }, headOnly, headers);
}

function modelSummary({ predictor, generation, loadedAt }: ModelSlot, options: ResolvedServeOptions): Record<string, unknown> {
  const c = predictor.info.config;
  return {
    kind: c.kind, layers: c.layers, hidden: c.hidden, labels: predictor.labels, vocabSize: c.vocabSize, provider: predictor.provider, maxBatch: options.maxBatch, maxWaitMs: options.maxWaitMs, generation, loadedAt: loadedAt.toISOString(),
    ...(predictor.info.untrained !== undefined ? { untrained: predictor.info.untrained } : {}),
  };
}
