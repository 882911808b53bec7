// Writing the server's answers: every response is whole (Content-Length, no chunking), JSON unless
// it is the metrics text, and the last response on a draining connection closes it. Errors become
// `{"error": {"code", "message"}}` with a status: the coded ones clients can act on keep their code,
// anything else is a logged 500 E_INTERNAL that leaks no detail.
import type { ServerResponse } from 'node:http';
import type { TrackedRequest } from './connections.js';
import { HttpError } from './errors.js';

/**
 * Writes a whole response of `text` as `type` (HEAD: the headers only). `t` is the request it
 * answers: the last response while draining carries `Connection: close`.
 */
export function sendText(res: ServerResponse, t: TrackedRequest, status: number, text: string, type: string, headOnly = false, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(text, 'utf8');
  const h: Record<string, string | number> = { 'content-type': type, 'content-length': buf.length, ...headers };
  if (t.lastWhileDraining()) h.connection = 'close';
  res.writeHead(status, h);
  res.end(headOnly ? undefined : buf);
}

/** Writes `body` as a whole JSON response (see sendText). */
export function sendJson(res: ServerResponse, t: TrackedRequest, status: number, body: unknown, headOnly = false, headers: Record<string, string> = {}): void {
  sendText(res, t, status, JSON.stringify(body), 'application/json; charset=utf-8', headOnly, headers);
}

/**
 * The HTTP answer to an error thrown while handling a request: an HttpError as it is; the
 * Predictor's E_PREDICT_INPUT as 400 and E_MODEL_RUN as 500 (first line of the message only);
 * anything else as 500 E_INTERNAL (the caller logs it).
 */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  if (code === 'E_PREDICT_INPUT') return new HttpError(400, code, message);
  if (code === 'E_MODEL_RUN') return new HttpError(500, code, message);
  return new HttpError(500, 'E_INTERNAL', 'internal server error (logged on the server)');
}
