// src/data's typed errors; CodedError (src/errors.ts) imports nothing, so this core stays browser-safe.
import { CodedError } from '../errors.js';

/**
 * A malformed line in a data file. `line` is 1-based (what an editor shows);
 * the message names the file and line and says what was expected and what
 * was found, so a user can fix the data without reading our code.
 */
export class DataFormatError extends CodedError {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, expected: string, found: string) {
    super('E_DATA_FORMAT', 'DataFormatError', `${file}:${line}: expected ${expected}, found ${found}`);
    this.file = file;
    this.line = line;
  }
}

/** A short, quoted excerpt of offending input for error messages. */
export function excerpt(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** A data directory or one of its split files is missing, or the format is ambiguous. */
export class DataMissingError extends CodedError {
  constructor(message: string) {
    super('E_DATA_MISSING', 'DataMissingError', message);
  }
}

/** The splits of a data set do not fit together (a class with no training example). */
export class DataSplitError extends CodedError {
  constructor(message: string) {
    super('E_DATA_SPLITS', 'DataSplitError', message);
  }
}

/** Options that do not fit the data, e.g. phrase-level training asked of a format without trees. */
export class DataOptionError extends CodedError {
  constructor(message: string) {
    super('E_DATA_OPTION', 'DataOptionError', message);
  }
}
