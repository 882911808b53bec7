/**
 * Node-only: the lines of a text file too large to hold (word-vector files run to
 * gigabytes), streamed, with the same rules as whole data files (./text.ts): each line must be
 * valid UTF-8 (an error names file, line and byte offset, never a silent U+FFFD) and
 * `\r\n`, `\n` or a lone `\r` ends a line. Lines are split on bytes: 0x0A and 0x0D never
 * occur inside a multi-byte UTF-8 sequence. Memory is bounded by `maxLineBytes`.
 */
import { createReadStream } from 'node:fs';
import { DataFormatError } from './errors.js';
import { firstInvalidUtf8Offset } from './text.js';

/** Lines longer than this are refused (a GloVe 300-d line is ~3 KB). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** One line: its 1-based number and its text (without the line end). */
export interface TextLine {
  line: number;
  text: string;
}

/**
 * Yields every line of `file` (a final line without a line end too; a leading UTF-8
 * byte-order mark is dropped).
 * @throws DataFormatError (E_DATA_FORMAT) `file:line: expected UTF-8 text, found byte … at byte
 *   offset …`, or `expected a line of at most N bytes` for a longer one.
 */
export async function* readTextLines(file: string, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<TextLine> {
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let line = 1;
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = 0; // byte offset of carry[0] in the file
  let first = true;
  const decode = (bytes: Buffer, offset: number): string => {
    let b = bytes;
    if (first && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    first = false;
    try {
      return utf8.decode(b);
    } catch {
      const at = Math.max(0, firstInvalidUtf8Offset(b));
      const fileOffset = offset + (bytes.length - b.length) + at;
      throw new DataFormatError(file, line, 'UTF-8 text', `byte 0x${b[at]!.toString(16).padStart(2, '0')} at byte offset ${fileOffset}, which is not valid UTF-8; convert the file (e.g. iconv -f latin1 -t utf-8)`);
    }
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const scanFrom = carry.length; // carry holds no line end (except a final \r, handled below)
    let start = 0;
    for (let i = Math.max(0, scanFrom - 1); i < buf.length; i++) {
      const c = buf[i]!;
      if (c !== 0x0a && c !== 0x0d) continue;
      if (c === 0x0d && i + 1 === buf.length) break; // maybe the first half of \r\n: wait for more
      yield { line, text: decode(buf.subarray(start, i), carryOffset + start) };
      line++;
      if (c === 0x0d && buf[i + 1] === 0x0a) i++;
      start = i + 1;
    }
    carryOffset += start;
    carry = Buffer.from(buf.subarray(start));
    if (carry.length > maxLineBytes) {
      throw new DataFormatError(file, line, `a line of at most ${maxLineBytes} bytes`, `one of more than ${carry.length} bytes`);
    }
  }
  if (carry.length > 0) {
    const end = carry[carry.length - 1] === 0x0d ? carry.length - 1 : carry.length;
    yield { line, text: decode(carry.subarray(0, end), carryOffset) };
  }
}
