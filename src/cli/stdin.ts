// Lines of text from a stream (stdin), strictly: each line must be valid UTF-8 and no longer
// than a limit. A bad line stops the command with an error naming it; lines before it have
// already been processed, so nothing read so far is lost. A huge line is refused as soon as
// it passes the limit, without buffering the rest of it.
import { firstInvalidUtf8 } from '../serve/request.js';
import { CodedError } from '../errors.js';

/** A line of input the command refuses: not UTF-8, or too long. */
export class InputTextError extends CodedError {
  declare readonly code: 'E_INPUT_ENCODING' | 'E_INPUT_TOO_LONG';
  constructor(
    code: 'E_INPUT_ENCODING' | 'E_INPUT_TOO_LONG',
    message: string,
    /** 1-based line number of the refused line. */
    readonly line: number,
  ) {
    super(code, 'InputTextError', message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface Line {
  /** 1-based line number. */
  line: number;
  text: string;
}

function decode(bytes: Uint8Array, line: number, source: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const i = firstInvalidUtf8(bytes);
    throw new InputTextError('E_INPUT_ENCODING', `${source} line ${line} is not valid UTF-8 (bad byte 0x${(bytes[i] ?? 0).toString(16).padStart(2, '0')} at byte ${i + 1} of the line); convert the input to UTF-8 (e.g. iconv -f latin1 -t utf-8)`, line);
  }
}

/** Yields every line (blank ones included; a final line without '\n' too); '\r\n' endings are accepted. */
export async function* readLines(stream: AsyncIterable<Buffer | string>, opts: { maxChars: number; source?: string }): AsyncGenerator<Line> {
  const source = opts.source ?? 'stdin';
  // A character is at most 4 UTF-8 bytes: past this many bytes a line is certainly too long.
  const maxBytes = opts.maxChars * 4;
  let parts: Buffer[] = [];
  let size = 0;
  let line = 1;
  const finish = (): Line => {
    let buf = Buffer.concat(parts, size);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    const text = decode(buf, line, source);
    const chars = text.length <= opts.maxChars ? text.length : [...text].length;
    if (chars > opts.maxChars) throw tooLong(line, source, opts.maxChars, `${chars} characters`);
    parts = [];
    size = 0;
    return { line: line++, text };
  };
  for await (const chunk of stream) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      parts.push(buf.subarray(0, nl));
      size += nl;
      if (size > maxBytes + 1) throw tooLong(line, source, opts.maxChars, `${size} bytes`);
      yield finish();
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > 0) {
      parts.push(buf);
      size += buf.length;
      if (size > maxBytes + 1) throw tooLong(line, source, opts.maxChars, `more than ${maxBytes} bytes so far`);
    }
  }
  if (size > 0) yield finish();
}

function tooLong(line: number, source: string, max: number, found: string): InputTextError {
  return new InputTextError('E_INPUT_TOO_LONG', `${source} line ${line} is too long: the limit is ${max} characters (--max-chars), found ${found}`, line);
}
