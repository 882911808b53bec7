import { CodedError } from '../errors.js';

/**
 * A request the server refuses or cannot answer: `status` is the HTTP status, `code` the
 * stable machine-readable reason sent as `{"error": {"code", "message"}}`.
 */
export class HttpError extends CodedError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    /** Response headers the refusal needs (`connection: close`, `retry-after`, `allow`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(code, 'HttpError', message);
  }
}

/** The server could not bind its address (in use, not permitted, unknown host). */
export class ListenError extends CodedError {
  constructor(message: string) {
    super('E_LISTEN', 'ListenError', message);
  }
}

/** A model reload that cannot take effect: the server is shutting down (the new model is released unused). */
export class ReloadRefusedError extends CodedError {
  constructor(message: string) {
    super('E_SHUTTING_DOWN', 'ReloadRefusedError', message);
  }
}

/** A standalone-only operation (listen, the http.Server) asked of a server mounted in a host application. */
export class ServeModeError extends CodedError {
  constructor(message: string) {
    super('E_SERVE_MODE', 'ServeModeError', message);
  }
}
