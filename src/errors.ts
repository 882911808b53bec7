// The base of the project's typed errors: every failure a user can meet carries a stable
// machine-readable `code` ('E_…'), which the CLI prints and the server sends.
// Pure (no imports): every layer, src/data's browser-safe core included, may extend it.
/** An error with a stable `code` ('E_…'); `name` is the subclass's name, `options.cause` the error it wraps. */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    name: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Set explicitly: class names do not survive minified browser bundles.
    this.name = name;
  }
}
