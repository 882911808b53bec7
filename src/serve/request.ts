// Reading and validating a /v1/predict request: every limit is checked before work is done,
// and every refusal says what was expected and what was found.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

export interface RequestLimits {
  /** Largest request body, in bytes. */
  maxBodyBytes: number;
  /** Most texts in one request. */
  maxTexts: number;
  /** Longest text, in characters (Unicode code points). */
  maxChars: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxBodyBytes: 1 << 20, maxTexts: 256, maxChars: 10_000 };

/**
 * The body as bytes; refuses (413) a declared or actual size over the limit without buffering it.
 * `signal` ends the wait early, rejecting with its reason (the server aborts a body that arrives
 * too slowly with a 408 HttpError).
 */
export function readBody(req: IncomingMessage, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes, `Content-Length ${declared}`));
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    signal?.addEventListener('abort', () => {
      if (!done) {
        done = true;
        chunks.length = 0;
        reject(signal.reason);
      }
    }, { once: true });
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        chunks.length = 0;
        reject(tooLarge(maxBytes, `more than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks, size));
      }
    });
    req.on('error', (e) => {
      if (!done) {
        done = true;
        reject(new HttpError(400, 'E_BAD_REQUEST', `could not read the request body: ${e.message}`));
      }
    });
    req.on('aborted', () => {
      if (!done) {
        done = true;
        reject(new HttpError(400, 'E_BAD_REQUEST', 'the client aborted the request body'));
      }
    });
  });
}

/**
 * The body a host application's body parser already read (Express's `express.json()` /
 * `express.raw()` / `express.text()`, Fastify's parsers), as bytes; null when the request stream is
 * still unread (then `readBody` reads it). A parsed JSON value is serialised again.
 * @throws HttpError 400 E_BAD_REQUEST when the stream was consumed and no body was kept;
 *   413 E_BODY_TOO_LARGE over `maxBytes`.
 */
export function hostBody(req: IncomingMessage, maxBytes: number): Uint8Array | null {
  if (!req.readableEnded) return null;
  const b = (req as { body?: unknown }).body;
  if (b === undefined) throw new HttpError(400, 'E_BAD_REQUEST', 'the request body was already read by the host application and not kept as req.body: mount the handler before body parsers, or keep the body');
  const bytes = b instanceof Uint8Array ? b : Buffer.from(typeof b === 'string' ? b : JSON.stringify(b), 'utf8');
  if (bytes.length > maxBytes) throw tooLarge(maxBytes, `${bytes.length} bytes`);
  return bytes;
}

function tooLarge(max: number, found: string): HttpError {
  return new HttpError(413, 'E_BODY_TOO_LARGE', `request body too large: the limit is ${max} bytes (--max-body-bytes), found ${found}`, { connection: 'close' });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Where the first invalid UTF-8 sequence starts (for error messages), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    try {
      utf8.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return -1;
}

/** Code points in s (the body is bounded by maxBodyBytes, so this walk is too). */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) i++;
  }
  return n;
}

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? `an array of ${v.length}` : typeof v === 'string' ? `a string of ${v.length} characters` : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v).slice(0, 20)}`;

/** `{"texts": [string, …]}` → the texts, within the limits. */
export function parsePredictBody(body: Uint8Array, limits: RequestLimits): string[] {
  if (body.length === 0) throw new HttpError(400, 'E_BAD_REQUEST', 'empty request body: expected JSON {"texts": ["some text", …]}');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    const at = firstInvalidUtf8(body);
    throw new HttpError(400, 'E_BAD_ENCODING', `request body is not valid UTF-8: byte 0x${body[at]?.toString(16).padStart(2, '0')} at offset ${at} (send JSON encoded as UTF-8)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'E_BAD_JSON', `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new HttpError(400, 'E_BAD_REQUEST', `expected a JSON object {"texts": [...]}, found ${describe(json)}`);
  }
  const texts = (json as { texts?: unknown }).texts;
  if (!Array.isArray(texts)) {
    throw new HttpError(400, 'E_BAD_REQUEST', `expected "texts" to be an array of strings, found ${texts === undefined ? 'no "texts" key' : describe(texts)}`);
  }
  if (texts.length === 0) throw new HttpError(400, 'E_BAD_REQUEST', '"texts" is empty: expected at least 1 text');
  if (texts.length > limits.maxTexts) {
    throw new HttpError(413, 'E_TOO_MANY_TEXTS', `too many texts: the limit is ${limits.maxTexts} per request (--max-texts), found ${texts.length}`);
  }
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new HttpError(400, 'E_BAD_REQUEST', `texts[${i}]: expected a string, found ${describe(t)}`);
    const n = t.length <= limits.maxChars ? t.length : codePoints(t); // UTF-16 units ≥ code points
    if (n > limits.maxChars) {
      throw new HttpError(413, 'E_TEXT_TOO_LONG', `texts[${i}] is too long: the limit is ${limits.maxChars} characters (--max-chars), found ${n}`);
    }
  });
  return texts as string[];
}
