// How the CLI reports failures: one readable line and a non-zero exit; the stack only
// with --verbose.
import { CodedError } from '../errors.js';
import { printable } from '../printable.js';
import { isOrtMessage, ortMessage } from '../runtime/ort-errors.js';

/** An onnxruntime failure that reached the top without a code of ours (a safety net). */
export class OnnxRuntimeError extends CodedError {
  constructor(message: string) {
    super('E_ONNXRUNTIME', 'OnnxRuntimeError', message);
  }
}

export class UsageError extends CodedError {
  constructor(message: string) {
    super('E_USAGE', 'UsageError', message);
  }
}

export function reportAndExit(e: unknown, verbose: boolean): never {
  let err = e instanceof Error ? e : new Error(String(e));
  if ((err as { code?: string }).code === undefined && isOrtMessage(err.message)) {
    const coded = new OnnxRuntimeError(`onnxruntime failed: ${ortMessage(err)}`);
    coded.stack = err.stack;
    err = coded;
  }
  const code = (err as { code?: string }).code;
  // Messages may quote names and text from files: control characters are shown as escapes.
  const line = `highway-onnx: ${code ? `[${code}] ` : ''}${printable(err.message.split('\n')[0]!)}`;
  process.stderr.write(`${line}\n`);
  if (verbose) process.stderr.write(`${err.stack ?? ''}\n`);
  else if (err.message.includes('\n')) process.stderr.write(`${err.message.split('\n').slice(1).map(printable).join('\n')}\n`);
  process.exit(code === 'E_USAGE' ? 2 : 1);
}
