/**
 * A malformed line in a data file. `line` is 1-based (what an editor shows);
 * the message names the file and line and says what was expected and what
 * was found, so a user can fix the data without reading our code.
 */
export class DataFormatError extends Error {
  readonly code = 'E_DATA_FORMAT';
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, expected: string, found: string) {
    super(`${file}:${line}: expected ${expected}, found ${found}`);
    this.name = 'DataFormatError';
    this.file = file;
    this.line = line;
  }
}

/** A short, quoted excerpt of offending input for error messages. */
export function excerpt(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** A data directory or one of its split files is missing, or the format is ambiguous. */
export class DataMissingError extends Error {
  readonly code = 'E_DATA_MISSING';
  constructor(message: string) {
    super(message);
    this.name = 'DataMissingError';
  }
}

/** The splits of a data set do not fit together (a class with no training example). */
// Not a CodedError subclass: src/data imports nothing outside itself (browser-safe, see its test); same shape (code, name).
export class DataSplitError extends Error {
  readonly code = 'E_DATA_SPLITS';
  constructor(message: string) {
    super(message);
    this.name = 'DataSplitError';
  }
}

/** Options that do not fit the data, e.g. phrase-level training asked of a format without trees. */
export class DataOptionError extends Error {
  readonly code = 'E_DATA_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'DataOptionError';
  }
}
