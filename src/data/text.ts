/**
 * Bytes of a data file to text, and text to lines, without silent changes: invalid UTF-8 is
 * an error naming the file, line and byte offset (a decoder that substitutes U+FFFD would
 * train on characters the file never held), and every line ending — `\r\n`, `\n` and a lone
 * `\r` (classic Mac, some spreadsheet exports) — ends a line, so a CR-only file is not read
 * as one huge example. Pure code: runs in Node and browsers.
 */
import { DataFormatError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Splits text into lines at `\r\n`, `\n` or a lone `\r` (what editors and Python's universal newlines do). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * The byte offset of the first byte that does not start or continue a valid UTF-8 sequence
 * (overlong forms, surrogates and code points over U+10FFFF included), or -1 when all are valid.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // over U+10FFFF
    } else return i;
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i; // truncated at the end of the file
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return -1;
}

/** 1-based line (counting `\r\n`, `\n` and lone `\r` as line ends) of a byte offset. */
export function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const b = bytes[i]!;
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] !== 0x0a)) line++;
  }
  return line;
}

/**
 * A data file's bytes as text (a leading UTF-8 byte-order mark dropped).
 * @throws DataFormatError (E_DATA_FORMAT) `file:line: expected UTF-8 text, found …` naming the
 *   byte offset and value of the first invalid byte, or a UTF-16 byte-order mark.
 */
export function decodeDataFile(bytes: Uint8Array, file: string): string {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new DataFormatError(file, 1, 'UTF-8 text', `a UTF-16 byte-order mark (0x${bytes[0]!.toString(16)} 0x${bytes[1]!.toString(16)}); re-save the file as UTF-8`);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8Offset(bytes));
    const line = lineOfByte(bytes, at);
    throw new DataFormatError(file, line, 'UTF-8 text', `byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at byte offset ${at}, which is not valid UTF-8; convert the file (e.g. iconv -f latin1 -t utf-8)`);
  }
}
