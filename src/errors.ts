// The base of the project's typed errors: every failure a user can meet carries a stable
// machine-readable `code` ('E_…'), which the CLI prints and the server sends.
export class CodedError extends Error {
  constructor(
    readonly code: string,
    name: string,
    message: string,
  ) {
    super(message);
    // Set explicitly: class names do not survive minified browser bundles.
    this.name = name;
  }
}
