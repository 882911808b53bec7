/**
 * Parsers for the supported data formats. Pure string -> examples, no I/O, so
 * they run unchanged in the browser (e.g. on a dropped File's text).
 *
 * Every malformed line throws a DataFormatError naming file and line; the only
 * thing ever dropped on purpose is SST's neutral class (label 2) in binary
 * mode, which is how the binary SST task is defined. Blank lines are skipped.
 *
 * Labels, for TSV/CSV/JSONL: if the first label is an integer literal (a JSON
 * number or a string such as "3"), every label must be one and it is the class
 * id itself (names "0", "1", ...); otherwise labels are names, and ids follow
 * their sorted (code-unit) order. A file mixing the two is an error.
 *
 * Line ends are `\r\n`, `\n` or a lone `\r`. The label set is the training split's (integer
 * labels: 0 to the largest id in training): a dev or test label outside it is an error naming
 * file and line (a class with no training examples cannot be learned, and a typo such as `7`
 * would otherwise add classes).
 */
import { parseDelimited } from './csv.js';
import { DataFormatError, excerpt } from './errors.js';
import type { Dataset, Example } from './example.js';
import { splitLines } from './text.js';

export const SST_FIVE_CLASS_LABELS: readonly string[] = ['very negative', 'negative', 'neutral', 'positive', 'very positive'];
export const SST_BINARY_LABELS: readonly string[] = ['negative', 'positive'];

/**
 * One parsed file. `labelKind` tells `combineSplits` how to merge label lists:
 * 'fixed' lists are defined by the format (SST), 'integer' lists are "0".."max",
 * 'string' lists are the sorted names this file happens to contain.
 */
export interface ParsedSplit {
  file: string;
  examples: Example[];
  /** The 1-based line each example starts on (parallel to `examples`), for error messages. */
  lines?: number[];
  labels: string[];
  labelKind: 'fixed' | 'integer' | 'string';
}

export interface SstOptions {
  file: string;
  binary: boolean;
}

export function parseSst(content: string, { file, binary }: SstOptions): ParsedSplit {
  const examples: Example[] = [];
  const at: number[] = [];
  lines(content).forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '') return;
    const sep = raw.lastIndexOf('|||');
    if (sep === -1) throw new DataFormatError(file, line, "'<sentence> ||| <label 0-4>'", `no '|||' in ${excerpt(raw)}`);
    const text = raw.slice(0, sep).trim();
    const labelText = raw.slice(sep + 3).trim();
    if (text === '') throw new DataFormatError(file, line, "a sentence before '|||'", 'nothing');
    if (!/^[0-4]$/.test(labelText)) {
      throw new DataFormatError(file, line, "a label 0-4 after '|||'", labelText === '' ? 'nothing' : excerpt(labelText));
    }
    const label = Number(labelText);
    if (binary && label === 2) return;
    examples.push({ text, label: binary ? (label < 2 ? 0 : 1) : label });
    at.push(line);
  });
  return { file, examples, lines: at, labels: [...(binary ? SST_BINARY_LABELS : SST_FIVE_CLASS_LABELS)], labelKind: 'fixed' };
}

export interface TsvOptions {
  file: string;
  delimiter: '\t' | ',';
  textColumn?: string;
  labelColumn?: string;
}

/** Delimited text with a header row (TSV or CSV). */
export function parseTsv(content: string, options: TsvOptions): ParsedSplit {
  const { file, delimiter, textColumn = 'text', labelColumn = 'label' } = options;
  const records = parseDelimited(content, delimiter, file);
  const header = records[0];
  if (header === undefined) throw new DataFormatError(file, 1, `a header row naming '${textColumn}' and '${labelColumn}'`, 'an empty file');
  const column = (name: string, flag: string): number => {
    const at = header.fields.map((f) => f.trim()).reduce<number[]>((acc, f, i) => (f === name ? [...acc, i] : acc), []);
    if (at.length !== 1) {
      const found = at.length === 0 ? `no such column in ${excerpt(header.fields.join(', '))} (name the column with ${flag})` : `${at.length} columns named '${name}'`;
      throw new DataFormatError(file, header.line, `a header with one column named '${name}'`, found);
    }
    return at[0]!;
  };
  const textAt = column(textColumn, '--text-column');
  const labelAt = column(labelColumn, '--label-column');
  const labels = new LabelTable(file);
  const texts: string[] = [];
  const at: number[] = [];
  for (const rec of records.slice(1)) {
    if (rec.fields.length !== header.fields.length) {
      throw new DataFormatError(file, rec.line, `${header.fields.length} fields like the header`, `${rec.fields.length}`);
    }
    texts.push(requireText(rec.fields[textAt]!, file, rec.line, `the '${textColumn}' column`));
    labels.add(rec.fields[labelAt]!.trim(), rec.line);
    at.push(rec.line);
  }
  return labels.finish(texts, at);
}

export interface JsonlOptions {
  file: string;
  textField?: string;
  labelField?: string;
}

/** One JSON object per line. */
export function parseJsonl(content: string, options: JsonlOptions): ParsedSplit {
  const { file, textField = 'text', labelField = 'label' } = options;
  const labels = new LabelTable(file);
  const texts: string[] = [];
  const at: number[] = [];
  lines(content).forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new DataFormatError(file, line, 'a JSON object', `invalid JSON (${(e as Error).message}) in ${excerpt(raw)}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DataFormatError(file, line, 'a JSON object', excerpt(raw));
    }
    const obj = value as Record<string, unknown>;
    const fields = Object.keys(obj).join(', ') || 'none';
    if (!(textField in obj)) throw new DataFormatError(file, line, `a "${textField}" field`, `fields ${excerpt(fields)} (name the field with --text-column)`);
    if (!(labelField in obj)) throw new DataFormatError(file, line, `a "${labelField}" field`, `fields ${excerpt(fields)} (name the field with --label-column)`);
    const text = obj[textField];
    if (typeof text !== 'string') throw new DataFormatError(file, line, `a string "${textField}"`, JSON.stringify(text));
    texts.push(requireText(text, file, line, `"${textField}"`));
    at.push(line);
    const label = obj[labelField];
    if (typeof label === 'number' && Number.isInteger(label)) labels.add(String(label), line);
    else if (typeof label === 'string') labels.add(label.trim(), line);
    else throw new DataFormatError(file, line, `an integer or string "${labelField}"`, excerpt(JSON.stringify(label) ?? 'undefined'));
  });
  return labels.finish(texts, at);
}

/**
 * Merges three parsed files into one Dataset with a single label list, so an id means the
 * same class in every split. The list is the training split's (for SST, the fixed list).
 * @throws DataFormatError (E_DATA_FORMAT) naming file and line of the first dev/test label
 *   that never occurs in training; Error when the splits use different kinds of labels.
 */
export function combineSplits(splits: { train: ParsedSplit; dev: ParsedSplit; test: ParsedSplit }): Dataset {
  const all = [splits.train, splits.dev, splits.test];
  // A file with no examples has no label kind of its own.
  const ref = all.find((s) => s.examples.length > 0) ?? splits.train;
  const kind = ref.labelKind;
  for (const s of all) {
    if (s.examples.length > 0 && s.labelKind !== kind) {
      throw new Error(`${s.file} has ${s.labelKind} labels but ${ref.file} has ${kind} labels; all splits must use the same kind`);
    }
  }
  let labels: string[];
  if (kind === 'fixed') {
    labels = ref.labels;
    for (const s of all) {
      if (s.labels.join('\n') !== labels.join('\n')) {
        throw new Error(`${s.file} has labels [${s.labels.join(', ')}] but ${ref.file} has [${labels.join(', ')}]`);
      }
    }
  } else {
    // Training defines the classes; with no training examples (API use) every split does.
    const source = splits.train.examples.length > 0 ? [splits.train] : all;
    const seen = new Set(source.flatMap((s) => s.examples.map((e) => s.labels[e.label]!)));
    // Integer labels number the classes: every id up to training's largest is a class.
    labels = kind === 'integer'
      ? Array.from({ length: Math.max(0, ...[...seen].map(Number)) + 1 }, (_, i) => String(i))
      : [...seen].sort(codeUnitOrder);
    if (kind === 'integer') labels.forEach((l) => seen.add(l));
    for (const s of all) requireSeenLabels(s, seen, splits.train);
  }
  const remap = (s: ParsedSplit): Example[] => {
    if (kind !== 'string') return s.examples;
    const ids = s.labels.map((name) => labels.indexOf(name));
    return s.examples.map((e) => ({ text: e.text, label: ids[e.label]! }));
  };
  const dataset: Dataset = { train: remap(splits.train), dev: remap(splits.dev), test: remap(splits.test), labels };
  if (all.every((s) => s.lines)) {
    // Not enumerable: where the data came from is not part of the data (equality, JSON).
    Object.defineProperty(dataset, 'origin', {
      value: {
        train: { file: splits.train.file, lines: splits.train.lines! },
        dev: { file: splits.dev.file, lines: splits.dev.lines! },
        test: { file: splits.test.file, lines: splits.test.lines! },
      },
      enumerable: false,
    });
  }
  return dataset;
}

/** Every label of `s` occurs in training (`seen`, by name), else an error naming file and line. */
function requireSeenLabels(s: ParsedSplit, seen: Set<string>, train: ParsedSplit): void {
  const i = s.examples.findIndex((e) => !seen.has(s.labels[e.label]!));
  if (i < 0) return;
  const name = s.labels[s.examples[i]!.label]!;
  const known = [...seen].sort(s.labelKind === 'integer' ? (a, b) => Number(a) - Number(b) : codeUnitOrder);
  const shown = s.labelKind === 'integer' ? `0 to ${known.length - 1}` : known.length > 20 ? `${known.slice(0, 20).join(', ')}, …` : known.join(', ');
  throw new DataFormatError(
    s.file, s.lines?.[i] ?? i + 1,
    `a label from ${train.file} (${shown})`,
    `${excerpt(name)}, which no training example has; a class without training examples cannot be learned: fix the label, or add training examples for it`,
  );
}

// Integer labels are class ids, so an absurd one would allocate an absurd label list.
const MAX_INTEGER_LABEL = 10000;

function lines(content: string): string[] {
  return splitLines(content.replace(/^\uFEFF/, ''));
}

function requireText(text: string, file: string, line: number, where: string): string {
  if (text.trim() === '') throw new DataFormatError(file, line, `a non-empty sentence in ${where}`, 'an empty one');
  return text;
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Collects raw labels, decides integer-vs-name from the first one, and maps them to ids. */
class LabelTable {
  private kind: 'integer' | 'string' | undefined;
  private firstLine = 0;
  private readonly raw: string[] = [];

  constructor(private readonly file: string) {}

  add(value: string, line: number): void {
    const file = this.file;
    if (value === '') throw new DataFormatError(file, line, 'a label', 'an empty one');
    const isInt = /^[+-]?\d+$/.test(value);
    if (this.kind === undefined) {
      this.kind = isInt ? 'integer' : 'string';
      this.firstLine = line;
    } else if ((this.kind === 'integer') !== isInt) {
      const want = this.kind === 'integer' ? 'an integer label' : 'a label name';
      throw new DataFormatError(file, line, `${want} (as on line ${this.firstLine})`, excerpt(value));
    }
    if (isInt && !(Number(value) >= 0 && Number(value) < MAX_INTEGER_LABEL)) {
      throw new DataFormatError(file, line, `an integer label from 0 to ${MAX_INTEGER_LABEL - 1}`, excerpt(value));
    }
    this.raw.push(value);
  }

  finish(texts: string[], lines: number[]): ParsedSplit {
    if (this.kind !== 'string') {
      const ids = this.raw.map(Number);
      const count = ids.reduce((m, id) => Math.max(m, id + 1), 0);
      return {
        file: this.file,
        examples: texts.map((text, i) => ({ text, label: ids[i]! })),
        lines,
        labels: Array.from({ length: count }, (_, i) => String(i)),
        labelKind: 'integer',
      };
    }
    const names = [...new Set(this.raw)].sort(codeUnitOrder);
    const idOf = new Map(names.map((n, i) => [n, i]));
    return {
      file: this.file,
      examples: texts.map((text, i) => ({ text, label: idOf.get(this.raw[i]!)! })),
      lines,
      labels: names,
      labelKind: 'string',
    };
  }
}
