// The vocabulary written into a freshly built graph, so that even an untrained model
// scores text end to end. Tokens come from the built-in data set or a file; the list is
// padded to the configured size with `[unusedN]` placeholders (the BERT vocab convention)
// so the embedding keeps the configured number of rows.
import { readFileSync } from 'node:fs';
import { builtinDataset } from '../data/builtin.js';
import { tokenize } from '../data/tokenizer.js';
import { Vocabulary } from '../data/vocab.js';
import { ConfigError } from './config.js';

/**
 * The vocabulary for a freshly built graph (build-graph --vocab FILE): tokens from a JSON array
 * file or a one-token-per-line file, <pad> and <unk> first (added if absent). Throws ConfigError
 * (E_CONFIG) for a file that is neither. Not the id-ordered vocabulary import reads (cli/interop.ts).
 */
export function readGraphVocabulary(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  let tokens: unknown;
  if (text.trimStart().startsWith('[')) {
    try {
      tokens = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`vocabulary file '${path}' is not valid JSON: ${(e as Error).message}`);
    }
  } else tokens = text.split(/\r?\n/).filter((l) => l !== '');
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) {
    throw new ConfigError(`vocabulary file '${path}' must be a JSON array of strings or one token per line`);
  }
  const list = tokens as string[];
  const rest = list.filter((t) => t !== Vocabulary.PAD && t !== Vocabulary.UNK);
  return Vocabulary.fromJSON([Vocabulary.PAD, Vocabulary.UNK, ...rest]).toJSON();
}

export function builtinTokens(): string[] {
  const data = builtinDataset();
  return Vocabulary.build(data.train.map((e) => tokenize(e.text))).toJSON();
}

/** Exactly `size` tokens: the given ones (truncated) then `[unusedN]` placeholders. */
export function fitVocabulary(tokens: string[], size: number): string[] {
  const out = tokens.slice(0, size);
  for (let i = 0; out.length < size; i++) {
    const t = `[unused${i}]`;
    if (!tokens.includes(t)) out.push(t);
  }
  return out;
}
