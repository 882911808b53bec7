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

/** A system error (a full disk, an I/O error) that reached the top without a code of ours. */
export class SystemIoError extends CodedError {
  constructor(message: string) {
    super('E_IO', 'SystemIoError', message);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device', EIO: 'input/output error (a failing disk or network file system)', EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system', EACCES: 'permission denied', EPERM: 'operation not permitted', EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system', EFBIG: 'file too large', ENOENT: 'no such file or directory', EISDIR: 'is a directory',
};

/** Node's raw fs errors ("ENOSPC: no space left on device, write") as one readable coded line. */
function systemError(err: NodeJS.ErrnoException & { dest?: string }): SystemIoError {
  const what = ERRNO_TEXT[err.code!] ?? err.message.replace(/^[A-Z]+: /, '');
  const where = err.path ? ` ('${err.path}'${err.dest ? ` → '${err.dest}'` : ''})` : '';
  return new SystemIoError(`${what} (${err.code}) during ${err.syscall}${where}`);
}

export function reportAndExit(e: unknown, verbose: boolean): never {
  let err = e instanceof Error ? e : new Error(String(e));
  const raw = err as NodeJS.ErrnoException;
  let coded: CodedError | null = null;
  if (raw.code === undefined && isOrtMessage(err.message)) coded = new OnnxRuntimeError(`onnxruntime failed: ${ortMessage(err)}`);
  else if (typeof raw.syscall === 'string' && typeof raw.code === 'string' && /^E[A-Z]+$/.test(raw.code)) coded = systemError(raw);
  if (coded) {
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
