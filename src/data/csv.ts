/**
 * Delimited-text records (CSV / TSV) with the line each record starts on.
 *
 * RFC 4180 quoting: a field that *starts* with `"` is quoted, `""` inside it
 * is a literal quote, and it may hold delimiters and newlines. A quote in the
 * middle of an unquoted field is kept as a literal character, because
 * sentiment TSVs routinely carry unescaped quotes inside the text. After a
 * closing quote only a delimiter or the end of the line may follow; anything
 * else means the quoting is broken and is reported, not guessed at.
 * Line numbers are tracked here (not by splitting on newlines first) so a
 * record whose quoted field spans lines still reports where it starts.
 */
import { DataFormatError, excerpt } from './errors.js';

export interface DelimitedRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

export function parseDelimited(content: string, delimiter: string, file: string): DelimitedRecord[] {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n') {
    throw new RangeError(`parseDelimited: delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`);
  }
  // Every line end (\r\n, \n, a lone \r) becomes \n, also inside quoted fields.
  const text = content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const n = text.length;
  const records: DelimitedRecord[] = [];
  let i = 0;
  let line = 1;

  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      if (text[i] === '"') {
        quotedAny = true;
        const openLine = line;
        let buf = '';
        i++;
        for (;;) {
          if (i >= n) {
            throw new DataFormatError(file, openLine, 'a closing quote for the field opened on this line', 'the end of the file');
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              buf += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          buf += c;
          i++;
        }
        if (i < n && text[i] !== delimiter && text[i] !== '\n') {
          const rest = text.slice(i, text.indexOf('\n', i) === -1 ? n : text.indexOf('\n', i));
          throw new DataFormatError(file, line, 'a delimiter or the end of the line after a closing quote', excerpt(rest));
        }
        fields.push(buf);
      } else {
        let j = i;
        while (j < n && text[j] !== delimiter && text[j] !== '\n') j++;
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      break;
    }
    if (i < n) {
      i++; // the newline ending this record
      line++;
    }
    const blank = !quotedAny && fields.length === 1 && fields[0]!.trim() === '';
    if (!blank) records.push({ fields, line: recordLine });
  }
  return records;
}
