// One error base: every typed error of src/ extends CodedError (src/errors.ts), so each carries a
// stable code, a name that survives minification and an optional cause. Reads the real source tree.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodedError } from '../../src/errors.js';
import { DataFormatError } from '../../src/data/errors.js';
import { InputTextError } from '../../src/cli/stdin.js';
import { CheckpointError } from '../../src/train/checkpoint.js';
import { OnnxCheckError } from '../../src/onnx/errors.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });

describe('typed errors', () => {
  it('only CodedError extends a built-in error class', () => {
    const direct = sourceFiles(SRC).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/class\s+(\w+)\s+extends\s+(Error|RangeError|TypeError|SyntaxError)\b/g)].map((m) => `${relative(SRC, f)}: ${m[1]}`),
    );
    expect(direct).toEqual(['errors.ts: CodedError']);
  });

  it('keep their codes, names and causes as CodedErrors', () => {
    const cause = new Error('disk');
    const errors = [
      new DataFormatError('a.txt', 3, 'a label', 'nothing'),
      new InputTextError('E_INPUT_TOO_LONG', 'line 2 is too long', 2),
      new CheckpointError('unreadable', { cause }),
      new OnnxCheckError(['no graph']),
    ];
    expect(errors.every((e) => e instanceof CodedError)).toBe(true);
    expect(errors.map((e) => [e.name, e.code])).toEqual([
      ['DataFormatError', 'E_DATA_FORMAT'], ['InputTextError', 'E_INPUT_TOO_LONG'], ['CheckpointError', 'E_CHECKPOINT'], ['OnnxCheckError', 'E_ONNX_CHECK'],
    ]);
    expect(errors[2]!.cause).toBe(cause);
  });
});
