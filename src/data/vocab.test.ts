import { describe, expect, it } from 'vitest';
import { Vocabulary } from './vocab.js';

const lists = [
  ['b', 'a', 'c', 'a'],
  ['c', 'd', 'a'],
  ['<unk>', 'e'],
];

describe('Vocabulary', () => {
  it('reserves <pad> = 0 and <unk> = 1', () => {
    const v = Vocabulary.build([]);
    expect(v.toJSON()).toEqual(['<pad>', '<unk>']);
    expect(v.size).toBe(2);
    expect(Vocabulary.PAD_ID).toBe(0);
    expect(Vocabulary.UNK_ID).toBe(1);
  });

  it('orders by frequency, then by token', () => {
    const v = Vocabulary.build(lists);
    // a:3, c:2, then b d e once each in code-unit order; a <unk> in the data is not counted twice.
    expect(v.toJSON()).toEqual(['<pad>', '<unk>', 'a', 'c', 'b', 'd', 'e']);
  });

  it('orders ties by code unit, not locale', () => {
    const v = Vocabulary.build([['b', 'B', 'é', 'e', 'Z']]);
    expect(v.toJSON().slice(2)).toEqual(['B', 'Z', 'b', 'e', 'é']);
  });

  it('applies minFreq and maxSize', () => {
    expect(Vocabulary.build(lists, { minFreq: 2 }).toJSON()).toEqual(['<pad>', '<unk>', 'a', 'c']);
    expect(Vocabulary.build(lists, { maxSize: 3 }).toJSON()).toEqual(['<pad>', '<unk>', 'a']);
    expect(() => Vocabulary.build(lists, { minFreq: 0 })).toThrow(/minFreq/);
    expect(() => Vocabulary.build(lists, { maxSize: 1 })).toThrow(/maxSize/);
  });

  it('encodes, with unknown tokens as 1', () => {
    const v = Vocabulary.build(lists);
    expect(v.encode(['a', 'zzz', 'e', '<pad>'])).toEqual([2, 1, 6, 0]);
    expect(v.idOf('c')).toBe(3);
    expect(v.idOf('nope')).toBe(1);
    expect(v.has('nope')).toBe(false);
    expect(v.tokenOf(4)).toBe('b');
    expect(v.decode([2, 3])).toEqual(['a', 'c']);
    expect(() => v.tokenOf(7)).toThrow(/outside 0\.\.6/);
    expect(() => v.tokenOf(1.5)).toThrow(RangeError);
  });

  it('round-trips through JSON', () => {
    const v = Vocabulary.build(lists);
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(back.toJSON()).toEqual(v.toJSON());
    expect(back.encode(['d', 'x'])).toEqual(v.encode(['d', 'x']));
  });

  it('rejects malformed token lists with clear errors', () => {
    expect(() => Vocabulary.fromJSON({ tokens: [] })).toThrow(/expected an array of tokens, found an object/);
    expect(() => Vocabulary.fromJSON([])).toThrow(/expected '<pad>' at id 0, found nothing/);
    expect(() => Vocabulary.fromJSON(['<unk>', '<pad>'])).toThrow(/expected '<pad>' at id 0, found "<unk>"/);
    expect(() => Vocabulary.fromJSON(['<pad>', 'a'])).toThrow(/expected '<unk>' at id 1, found "a"/);
    expect(() => Vocabulary.fromJSON(['<pad>', '<unk>', 'a', 'b', 'a'])).toThrow(/duplicate token "a" at ids 2 and 4/);
    expect(() => Vocabulary.fromJSON(['<pad>', '<unk>', 'a', 3])).toThrow(/expected a string at id 3, found number 3/);
  });
});
