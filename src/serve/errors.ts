import { CodedError } from '../errors.js';

/**
 * A request the server refuses or cannot answer: `status` is the HTTP status, `code` the
 * stable machine-readable reason sent as `{"error": {"code", "message"}}`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The server could not bind its address (in use, not permitted, unknown host). */
export class ListenError extends CodedError {
  constructor(message: string) {
    super('E_LISTEN', 'ListenError', message);
  }
}
