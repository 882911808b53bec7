import { describe, expect, it } from 'vitest';
import { parseDelimited } from './csv.js';
import { DataFormatError } from './errors.js';
import { combineSplits, parseJsonl, parseSst, parseTsv, type ParsedSplit } from './readers.js';

/** Runs `fn`, expecting a DataFormatError, and returns it. */
function formatError(fn: () => unknown): DataFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataFormatError);
    return e as DataFormatError;
  }
  throw new Error('expected a DataFormatError, none was thrown');
}

describe('parseSst', () => {
  const content = 'A great film . ||| 4\n\nIt is fine . ||| 2\r\nBad , bad . ||| 0\nMeh ||| 1\nGood ||| 3\n';

  it('keeps all five classes', () => {
    const s = parseSst(content, { file: 'x.txt', binary: false });
    expect(s.labels).toEqual(['very negative', 'negative', 'neutral', 'positive', 'very positive']);
    expect(s.examples).toEqual([
      { text: 'A great film .', label: 4 },
      { text: 'It is fine .', label: 2 },
      { text: 'Bad , bad .', label: 0 },
      { text: 'Meh', label: 1 },
      { text: 'Good', label: 3 },
    ]);
  });

  it('binary mode drops 2 and merges 0,1 and 3,4', () => {
    const s = parseSst(content, { file: 'x.txt', binary: true });
    expect(s.labels).toEqual(['negative', 'positive']);
    expect(s.examples.map((e) => e.label)).toEqual([1, 0, 0, 1]);
    expect(s.examples.map((e) => e.text)).not.toContain('It is fine .');
  });

  it('names file and line of a malformed line', () => {
    const e = formatError(() => parseSst('ok ||| 1\n\nno separator here\n', { file: 'train.txt', binary: true }));
    expect(e.code).toBe('E_DATA_FORMAT');
    expect(e.file).toBe('train.txt');
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/^train\.txt:3: expected '<sentence> \|\|\| <label 0-4>', found no '\|\|\|' in "no separator here"/);
    expect(formatError(() => parseSst('ok ||| 7', { file: 'f', binary: false })).message).toBe(
      "f:1: expected a label 0-4 after '|||', found \"7\"",
    );
    expect(formatError(() => parseSst('a ||| 1\n ||| 3', { file: 'f', binary: false })).line).toBe(2);
    expect(formatError(() => parseSst('a |||', { file: 'f', binary: false })).message).toMatch(/found nothing/);
  });
});

describe('parseDelimited (CSV quoting)', () => {
  it('handles quoted delimiters, escaped quotes and embedded newlines', () => {
    const recs = parseDelimited('text,label\n"a, b",1\n"say ""hi""",2\n"two\nlines",3\nplain "quote" inside,4\n', ',', 'f.csv');
    expect(recs.map((r) => r.fields)).toEqual([
      ['text', 'label'],
      ['a, b', '1'],
      ['say "hi"', '2'],
      ['two\nlines', '3'],
      ['plain "quote" inside', '4'],
    ]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 4, 6]);
  });

  it('handles CRLF, blank lines, empty fields and a missing final newline', () => {
    const recs = parseDelimited('a\tb\r\n\r\nx\t\r\n""\ty', '\t', 'f.tsv');
    expect(recs).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x', ''], line: 3 },
      { fields: ['', 'y'], line: 4 },
    ]);
  });

  it('reports an unterminated quote at the line it opened', () => {
    const e = formatError(() => parseDelimited('text,label\n"open,1\nmore,2\n', ',', 'd.csv'));
    expect(e.line).toBe(2);
    expect(e.message).toBe('d.csv:2: expected a closing quote for the field opened on this line, found the end of the file');
  });

  it('reports text after a closing quote', () => {
    const e = formatError(() => parseDelimited('text,label\n"a"b,1\n', ',', 'd.csv'));
    expect(e.message).toBe('d.csv:2: expected a delimiter or the end of the line after a closing quote, found "b,1"');
  });
});

describe('parseTsv', () => {
  it('reads integer labels as class ids', () => {
    const s = parseTsv('label\ttext\n1\tgood film\n0\tbad film\n2\tok\n', { file: 'a.tsv', delimiter: '\t' });
    expect(s.labelKind).toBe('integer');
    expect(s.labels).toEqual(['0', '1', '2']);
    expect(s.examples).toEqual([
      { text: 'good film', label: 1 },
      { text: 'bad film', label: 0 },
      { text: 'ok', label: 2 },
    ]);
  });

  it('maps string labels in sorted order', () => {
    const s = parseTsv('sentence,id,sentiment\n"great, really",1,pos\nawful,2,neg\nfine,3,pos\n', {
      file: 'a.csv',
      delimiter: ',',
      textColumn: 'sentence',
      labelColumn: 'sentiment',
    });
    expect(s.labelKind).toBe('string');
    expect(s.labels).toEqual(['neg', 'pos']);
    expect(s.examples.map((e) => [e.text, e.label])).toEqual([
      ['great, really', 1],
      ['awful', 0],
      ['fine', 1],
    ]);
  });

  it('names file and line of malformed rows', () => {
    const opts = { file: 'a.tsv', delimiter: '\t' as const };
    expect(formatError(() => parseTsv('text\tlabel\ngood\t1\nbad\n', opts)).message).toBe(
      'a.tsv:3: expected 2 fields like the header, found 1',
    );
    expect(formatError(() => parseTsv('sentence\tlabel\ngood\t1\n', opts)).message).toBe(
      `a.tsv:1: expected a header with one column named 'text', found no such column in "sentence, label" (name the column with --text-column)`,
    );
    expect(formatError(() => parseTsv('text\tlabel\ngood\t1\nbad\tneg\n', opts)).message).toBe(
      'a.tsv:3: expected an integer label (as on line 2), found "neg"',
    );
    expect(formatError(() => parseTsv('text\tlabel\ngood\t\n', opts)).message).toBe('a.tsv:2: expected a label, found an empty one');
    expect(formatError(() => parseTsv('text\tlabel\n \t1\n', opts)).message).toMatch(/^a\.tsv:2: expected a non-empty sentence/);
    expect(formatError(() => parseTsv('text\tlabel\ngood\t-1\n', opts)).line).toBe(2);
    expect(formatError(() => parseTsv('', opts)).message).toMatch(/^a\.tsv:1: expected a header row/);
  });
});

describe('parseJsonl', () => {
  it('reads objects, one per line', () => {
    const s = parseJsonl('{"text":"good","label":"pos"}\n\n{"label":"neg","text":"bad","extra":1}\n', { file: 'a.jsonl' });
    expect(s.labels).toEqual(['neg', 'pos']);
    expect(s.examples).toEqual([
      { text: 'good', label: 1 },
      { text: 'bad', label: 0 },
    ]);
    const n = parseJsonl('{"s":"x","y":1}\n{"s":"z","y":"0"}', { file: 'b.jsonl', textField: 's', labelField: 'y' });
    expect(n.labelKind).toBe('integer');
    expect(n.examples.map((e) => e.label)).toEqual([1, 0]);
  });

  it('names file and line of malformed lines', () => {
    const f = { file: 'c.jsonl' };
    expect(formatError(() => parseJsonl('{"text":"a","label":1}\n{"text": "b",', f)).message).toMatch(
      /^c\.jsonl:2: expected a JSON object, found invalid JSON/,
    );
    expect(formatError(() => parseJsonl('[1,2]', f)).message).toBe('c.jsonl:1: expected a JSON object, found "[1,2]"');
    expect(formatError(() => parseJsonl('{"label":1}', f)).message).toBe('c.jsonl:1: expected a "text" field, found fields "label" (name the field with --text-column)');
    expect(formatError(() => parseJsonl('{"text":"a"}', f)).message).toBe('c.jsonl:1: expected a "label" field, found fields "text" (name the field with --label-column)');
    expect(formatError(() => parseJsonl('{"text":5,"label":1}', f)).message).toBe('c.jsonl:1: expected a string "text", found 5');
    expect(formatError(() => parseJsonl('{"text":"a","label":1.5}', f)).message).toBe(
      'c.jsonl:1: expected an integer or string "label", found "1.5"',
    );
    expect(formatError(() => parseJsonl('{"text":"a","label":null}', f)).line).toBe(1);
  });
});

describe('combineSplits', () => {
  const split = (file: string, labels: string[], kind: ParsedSplit['labelKind'], ids: number[]): ParsedSplit => ({
    file,
    labels,
    labelKind: kind,
    examples: ids.map((label, i) => ({ text: `${file} ${i}`, label })),
  });

  it('string labels come from training, and ids agree across splits', () => {
    const d = combineSplits({
      train: split('train', ['neg', 'pos'], 'string', [0, 1]),
      dev: split('dev', ['pos'], 'string', [0]),
      test: split('test', ['neg', 'pos'], 'string', [1, 0]),
    });
    expect(d.labels).toEqual(['neg', 'pos']);
    expect(d.train.map((e) => e.label)).toEqual([0, 1]);
    expect(d.dev.map((e) => e.label)).toEqual([1]);
    expect(d.test.map((e) => e.label)).toEqual([1, 0]);
  });

  it('integer labels range over training ids: a dev id past them is refused, naming file and line', () => {
    const d = combineSplits({
      train: split('train', ['0', '1', '2'], 'integer', [0, 2]),
      dev: split('dev', ['0', '1'], 'integer', [1]),
      test: split('test', ['0'], 'integer', [0]),
    });
    expect(d.labels).toEqual(['0', '1', '2']);
    const dev = { ...split('dev', ['0', '1', '2', '3', '4', '5', '6', '7'], 'integer', [1, 7]), lines: [3, 9] };
    expect(() => combineSplits({ train: split('train', ['0', '1'], 'integer', [0, 1]), dev, test: split('test', ['0'], 'integer', [0]) }))
      .toThrow('dev:9: expected a label from train (0 to 1), found "7", which no training example has;');
  });

  it('refuses mixed label kinds', () => {
    expect(() =>
      combineSplits({
        train: split('train', ['0', '1'], 'integer', [0, 1]),
        dev: split('dev', ['neg'], 'string', [0]),
        test: split('test', ['0'], 'integer', [0]),
      }),
    ).toThrow(/dev has string labels but train has integer labels/);
  });
});
