// §6 (a 1 MB training line) and §7 (silent data problems) of issue 10, with real files and the
// real CLI: CR-only line ends are lines, a dev/test label outside training's is an error naming
// file and line, invalid UTF-8 is an error naming file, line and byte offset, and a huge line
// is cut to the default maximum length with a warning naming it instead of exhausting memory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataset } from './files.js';
import { decodeDataFile, firstInvalidUtf8Offset, splitLines } from './text.js';
import { readTextLines } from './line-reader.js';
import { DEFAULT_MAX_TOKENS } from './truncate.js';
import { modelBytes } from '../../test/serve/helpers.js';
import { runCli } from '../../test/loaders/cli.js';

const root = mkdtempSync(join(tmpdir(), 'data-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const model = join(root, 'model.onnx');
writeFileSync(model, modelBytes);

/** A data directory holding `files` (name → text or bytes). */
function dataDir(name: string, files: Record<string, string | Uint8Array>): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const [f, body] of Object.entries(files)) writeFileSync(join(d, f), body);
  return d;
}

const SMALL = ['--layers', '1', '--hidden', '4', '--embed-dim', '4', '--epochs', '1', '--batch', '4'];
const sst = (rows: [string, number][], eol = '\n') => rows.map(([t, l]) => `${t} ||| ${l}${eol}`).join('');
const ROWS: [string, number][] = [['a fine film', 4], ['dull and slow', 0], ['not bad at all', 3], ['a mess', 1]];

describe('line ends', () => {
  it('CR-only files are read line by line (eval and train), and a 1 MB line is cut with a warning naming it', async () => {
    const huge = `${'word '.repeat(200_000)}`; // 1 MB, 200,000 tokens
    const dir = dataDir('cr', {
      'train.txt': sst([...ROWS.slice(0, 2), [huge, 4], ...ROWS.slice(2)], '\r'),
      'dev.txt': sst(ROWS.slice(0, 2), '\r'),
      'test.txt': sst(ROWS.slice(2), '\r'),
    });
    const d = await readDataset(dir);
    expect([d.train.length, d.dev.length, d.test.length]).toEqual([5, 2, 2]);
    expect(d.origin!.train.lines).toEqual([1, 2, 3, 4, 5]);

    const [ev, tr] = await Promise.all([
      runCli(['eval', '--model', model, '--file', join(dir, 'dev.txt'), '--json']),
      runCli(['train', '--data', dir, '--out', join(root, 'run-cr'), ...SMALL, '--max-steps', '1']),
    ]);
    // The only stderr line allowed: the one-class warning (this untrained model may predict one class).
    expect(ev.stderr.replace(/^warning: the model predicts only .*\n/m, '')).toBe('');
    expect(JSON.parse(ev.stdout).examples).toBe(2);
    // eval refuses the 1 MB line by its line number rather than padding a batch to it.
    const evLong = await runCli(['eval', '--model', model, '--file', join(dir, 'train.txt')]);
    expect(evLong.code).toBe(1);
    expect(evLong.stderr).toBe(`highway-onnx: [E_DATA_FORMAT] ${join(dir, 'train.txt')}:3: expected a text of at most 100000 characters (--max-chars), found 999999 characters\n`);
    expect(tr.stderr).toContain('data: 5 train / 2 dev / 2 test');
    expect(tr.stderr).toContain(`warning: 1 train sentence(s) longer than ${DEFAULT_MAX_TOKENS} tokens cut to their first ${DEFAULT_MAX_TOKENS}: ${join(dir, 'train.txt')}:3 (200000 tokens); set the cap with --max-len N`);
    expect(tr.code).toBe(0);
  }, 120_000);

  it('mixed \\r\\n, \\n and lone \\r in one JSONL file: three lines, errors report the right one', () => {
    const dir = dataDir('mixed', {
      'train.jsonl': '{"text":"a","label":"x"}\r\n{"text":"b","label":"y"}\r{"text":"c","label":"x"}\n',
      'dev.jsonl': '{"text":"a","label":"x"}\n',
      'test.jsonl': '{"text":"a","label":"x"}\r{"text":"b","label":"x"}\r{oops}\r',
    });
    return expect(readDataset(dir)).rejects.toThrow(`${join(dir, 'test.jsonl')}:3: expected a JSON object, found invalid JSON`);
  });
});

describe('labels outside training', () => {
  it('a dev label 7 (TSV integer labels), a test label never seen (JSONL names), SST 7: each names file and line', async () => {
    const tsv = dataDir('seven', {
      'train.tsv': 'text\tlabel\na fine film\t1\ndull\t0\n',
      'dev.tsv': 'text\tlabel\nok\t1\nbad\t7\n',
      'test.tsv': 'text\tlabel\nok\t1\n',
    });
    const jsonl = dataDir('unseen', {
      'train.jsonl': '{"text":"a fine film","label":"pos"}\n{"text":"dull","label":"neg"}\n',
      'dev.jsonl': '{"text":"ok","label":"pos"}\n',
      'test.jsonl': '{"text":"ok","label":"pos"}\n{"text":"meh","label":"Pos"}\n',
    });
    const sstDir = dataDir('sst7', { 'train.txt': sst(ROWS), 'dev.txt': `${sst(ROWS.slice(0, 1))}fine ||| 7\n`, 'test.txt': sst(ROWS) });
    const out = (n: string) => ['--out', join(root, n), ...SMALL, '--max-steps', '1'];
    const [a, b, c] = await Promise.all([
      runCli(['train', '--data', tsv, ...out('r1')]),
      runCli(['train', '--data', jsonl, ...out('r2')]),
      runCli(['train', '--data', sstDir, ...out('r3')]),
    ]);
    expect(a.code).toBe(1);
    expect(a.stderr).toBe(`highway-onnx: [E_DATA_FORMAT] ${join(tsv, 'dev.tsv')}:3: expected a label from ${join(tsv, 'train.tsv')} (0 to 1), found "7", which no training example has; a class without training examples cannot be learned: fix the label, or add training examples for it\n`);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(new RegExp(`^highway-onnx: \\[E_DATA_FORMAT\\] ${join(jsonl, 'test.jsonl')}:2: expected a label from .*train\\.jsonl \\(neg, pos\\), found "Pos", which no training example has`));
    expect(c.code).toBe(1);
    expect(c.stderr).toBe(`highway-onnx: [E_DATA_FORMAT] ${join(sstDir, 'dev.txt')}:2: expected a label 0-4 after '|||', found "7"\n`);
  }, 120_000);
});

describe('invalid UTF-8', () => {
  const latin1 = Uint8Array.from([...'a fine film ||| 4\nun caf', 0xe9, ...' noir ||| 3\n'].map((c) => (typeof c === 'number' ? c : c.charCodeAt(0))));

  it('names file, line and byte offset (train and eval); a UTF-16 file is named as such', async () => {
    const dir = dataDir('latin1', { 'train.txt': latin1, 'dev.txt': sst(ROWS), 'test.txt': sst(ROWS) });
    const utf16 = join(root, 'utf16.txt');
    writeFileSync(utf16, Buffer.from(`\ufeff${sst(ROWS)}`, 'utf16le'));
    const [tr, ev, ev16] = await Promise.all([
      runCli(['train', '--data', dir, '--out', join(root, 'r4'), ...SMALL, '--max-steps', '1']),
      runCli(['eval', '--model', model, '--file', join(dir, 'train.txt')]),
      runCli(['eval', '--model', model, '--file', utf16]),
    ]);
    const msg = `${join(dir, 'train.txt')}:2: expected UTF-8 text, found byte 0xe9 at byte offset 24, which is not valid UTF-8; convert the file (e.g. iconv -f latin1 -t utf-8)`;
    expect(tr.code).toBe(1);
    expect(tr.stderr).toBe(`highway-onnx: [E_DATA_FORMAT] ${msg}\n`);
    expect(ev.code).toBe(1);
    expect(ev.stderr).toBe(`highway-onnx: [E_DATA_FORMAT] ${msg}\n`);
    expect(ev16.code).toBe(1);
    expect(ev16.stderr).toBe(`highway-onnx: [E_DATA_FORMAT] ${utf16}:1: expected UTF-8 text, found a UTF-16 byte-order mark (0xff 0xfe); re-save the file as UTF-8\n`);
  }, 120_000);

  it('the validator agrees with a fatal TextDecoder on overlongs, surrogates, truncation and > U+10FFFF', () => {
    const cases: [number[], number][] = [
      [[0x61, 0xc0, 0xaf], 1], // overlong '/'
      [[0xe0, 0x80, 0xaf], 0], // overlong 3-byte
      [[0xed, 0xa0, 0x80], 0], // surrogate U+D800
      [[0xf4, 0x90, 0x80, 0x80], 0], // U+110000
      [[0x61, 0x62, 0xe2, 0x82], 2], // truncated at the end
      [[0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], -1], // € 😀
    ];
    const fatal = new TextDecoder('utf-8', { fatal: true });
    for (const [bytes, at] of cases) {
      const b = Uint8Array.from(bytes);
      expect(firstInvalidUtf8Offset(b)).toBe(at);
      expect(() => fatal.decode(b)).toSatisfy((f: () => unknown) => { try { f(); return at === -1; } catch { return at !== -1; } });
    }
    expect(() => decodeDataFile(Uint8Array.from([0x61, 0x0d, 0x62, 0x0d, 0x0a, 0xff]), 'f.txt')).toThrow('f.txt:3: expected UTF-8 text, found byte 0xff at byte offset 5');
  });
});

describe('streamed lines (word-vector files)', () => {
  async function lines(file: string, max?: number): Promise<string[]> {
    const out: string[] = [];
    for await (const l of readTextLines(file, max)) {
      expect(l.line).toBe(out.length + 1);
      out.push(l.text);
    }
    return out;
  }

  it('agree with splitLines across 64 KiB chunk edges (a \r\n split between chunks included)', async () => {
    const text = `${'é'.repeat(32767)}x\r\n${'b'.repeat(70_000)}\r${'c'.repeat(5)}\n\nlast€`; // the first \r is byte 65535
    const file = join(root, 'chunks.txt');
    writeFileSync(file, `\ufeff${text}`);
    expect(await lines(file)).toEqual(splitLines(text));
  });

  it('an invalid byte far into the file names its line and byte offset; an endless line is refused', async () => {
    const file = join(root, 'bad-vectors.txt');
    writeFileSync(file, Buffer.concat([Buffer.from(`${'w 0.1 0.2\n'.repeat(10_000)}caf`), Buffer.from([0xe9]), Buffer.from(' 0.1 0.2\n')]));
    await expect(lines(file)).rejects.toThrow(`${file}:10001: expected UTF-8 text, found byte 0xe9 at byte offset 100003, which is not valid UTF-8`);
    const long = join(root, 'long.txt');
    writeFileSync(long, 'x'.repeat(300_000));
    await expect(lines(long, 100_000)).rejects.toThrow(`${long}:1: expected a line of at most 100000 bytes`);
  });

  it('train --embeddings with a Latin-1 vectors file: one coded line naming file, line and offset', async () => {
    const dir = dataDir('emb-data', { 'train.txt': sst(ROWS), 'dev.txt': sst(ROWS), 'test.txt': sst(ROWS) });
    const vectors = join(root, 'vectors.txt');
    writeFileSync(vectors, Buffer.concat([Buffer.from('fine 0.1 0.2 0.3 0.4\ncaf'), Buffer.from([0xe9]), Buffer.from(' 0.1 0.2 0.3 0.4\n')]));
    const r = await runCli(['train', '--data', dir, '--out', join(root, 'r5'), ...SMALL, '--max-steps', '1', '--embeddings', vectors]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').slice(-2).join('\n')).toBe(`highway-onnx: [E_DATA_FORMAT] ${vectors}:2: expected UTF-8 text, found byte 0xe9 at byte offset 24, which is not valid UTF-8; convert the file (e.g. iconv -f latin1 -t utf-8)\n`);
  }, 60_000);
});
