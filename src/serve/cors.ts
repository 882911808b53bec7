// Cross-origin requests (CORS) through the `cors` middleware: a page on an allowed origin may call
// the server from a browser. Allowed origins get their origin reflected (or `*` when any origin is
// allowed), preflights (OPTIONS) are answered 204 with the route's methods, and other origins get no
// CORS headers, so the browser keeps the answer from the page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import { CodedError } from '../errors.js';

/** Seconds a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * Adds the CORS headers to `res` for a request on route `path`; answers a preflight itself. Returns true when it has answered
 * (a preflight: the caller must not write), false when the request goes on.
 */
export type CorsMiddleware = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/**
 * @param origins allowed origins (`scheme://host[:port]`, as browsers send them in `Origin`); `*`
 *   among them allows any origin.
 * @param methodsOf the methods of the route a path names (undefined for paths that are no route).
 * @throws CorsOriginError (E_CORS_ORIGIN) for an origin that is not `*` or `scheme://host[:port]`.
 */
export function corsMiddleware(origins: readonly string[], methodsOf: (path: string) => string[] | undefined): CorsMiddleware {
  for (const o of origins) checkOrigin(o);
  const origin = origins.includes('*') ? '*' : [...origins];
  return (req, res, path) => {
    // A request from no origin or from one not allowed gets no CORS header at all (the `cors`
    // middleware would still add Allow-Methods, Max-Age and Expose-Headers): it goes on as if CORS
    // were off (a preflight: 204 with Allow). Vary: Origin stays, so a cache never hands this
    // header-less answer to an allowed origin.
    if (origin !== '*') {
      const from = req.headers.origin;
      if (from === undefined || !origin.includes(from)) {
        const vary = res.getHeader('Vary');
        res.setHeader('Vary', vary === undefined ? 'Origin' : `${String(vary)}, Origin`);
        return false;
      }
    }
    const middleware = cors({
      origin,
      methods: [...(methodsOf(path) ?? []), 'OPTIONS'],
      maxAge: PREFLIGHT_MAX_AGE_S,
      // Browsers may read these on a refusal (503 while loading, 405).
      exposedHeaders: ['Retry-After', 'Allow'],
    });
    let goesOn = false;
    // cors runs synchronously: it calls next (request goes on) or ends a preflight.
    middleware(req as cors.CorsRequest, res, () => (goesOn = true));
    return !goesOn;
  };
}

/** An allowed origin that is not `*` nor an origin a browser could send. */
export class CorsOriginError extends CodedError {
  constructor(message: string) {
    super('E_CORS_ORIGIN', 'CorsOriginError', message);
  }
}

function checkOrigin(o: string): void {
  if (o === '*') return;
  let u: URL | null = null;
  try {
    u = new URL(o);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== o) {
    throw new CorsOriginError(`CORS origin ${JSON.stringify(o)} is not an origin: expected "*" or scheme://host[:port] with no path or trailing slash, e.g. "https://app.example.com"`);
  }
}
