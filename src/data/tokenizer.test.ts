import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tokenize } from './tokenizer.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sstDir = path.resolve(projectRoot, '../shared/data/sst');

const tok = (s: string) => tokenize(s).join(' ');

describe('tokenize', () => {
  it('lower-cases and collapses whitespace', () => {
    expect(tokenize('  The   FILM\tis\n\nGood  ')).toEqual(['the', 'film', 'is', 'good']);
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' \t\n')).toEqual([]);
  });

  it('splits clitics the Penn treebank way', () => {
    expect(tok("I don't think it's good")).toBe("i do n't think it 's good");
    expect(tok("can't won't ain't isn't")).toBe("ca n't wo n't ai n't is n't");
    expect(tok("they're we've he'd you'll I'm")).toBe("they 're we 've he 'd you 'll i 'm");
    expect(tok('I cannot')).toBe('i can not');
    expect(tok("the 1990's")).toBe("the 1990 's");
    expect(tok("the actors' egos")).toBe("the actors ' egos");
  });

  it('keeps elisions whole', () => {
    expect(tok("rock 'n' roll, good ol' boys 'til the '70s, hit 'em")).toBe("rock 'n' roll , good ol' boys 'til the '70s , hit 'em");
  });

  it('splits punctuation off words', () => {
    expect(tok('Wow, great: (really) good; fine! Sure? What?!')).toBe('wow , great : ( really ) good ; fine ! sure ? what ?!');
    expect(tok('Wait... what -- no')).toBe('wait ... what -- no');
    expect(tok('$5 and 50% off #1')).toBe('$ 5 and 50 % off # 1');
  });

  it('keeps commas and colons between digits, and inner hyphens and slashes', () => {
    expect(tok('20,000 people at 2:30')).toBe('20,000 people at 2:30');
    expect(tok('a co-writer/director R&B')).toBe('a co-writer/director r&b');
  });

  it('splits sentence periods but keeps abbreviations and initials', () => {
    expect(tok('Mr. Smith went home. Then he left.')).toBe('mr. smith went home . then he left .');
    expect(tok('J.R.R. Tolkien and George W. Bush in the U.S.')).toBe('j.r.r. tolkien and george w. bush in the u.s.');
    expect(tok('Gangster No. 1 said no.')).toBe('gangster no. 1 said no .');
  });

  it('turns double quotes into `` and \'\'', () => {
    expect(tok('He said "great" twice')).toBe("he said `` great '' twice");
    expect(tok('"Great."')).toBe("`` great . ''");
    expect(tok("a `` Conan '' movie")).toBe("a `` conan '' movie");
    expect(tok("the 'blundering' style")).toBe("the ` blundering ' style");
  });

  it('normalises unicode quotes, dashes and ellipses', () => {
    expect(tok('“Wow,” she said—it wasn’t bad…')).toBe("`` wow , '' she said -- it was n't bad ...");
    expect(tok('the ‘small’ movie – really')).toBe("the ` small ' movie -- really");
    expect(tok('non\u2011stop\u00a0fun\u200b')).toBe('non-stop fun');
  });

  it('maps PTB bracket escapes to brackets', () => {
    expect(tok('The -LRB- new -RRB- film -lsb- sic -rsb-')).toBe('the ( new ) film [ sic ]');
    expect(tokenize('-LRB-')).toEqual(tokenize('('));
  });

  it('is deterministic and idempotent on its own output', () => {
    const s = "“It’s not bad,” Mr. Jones said -- but I can't agree...";
    const once = tokenize(s);
    expect(tokenize(s)).toEqual(once);
    expect(tokenize(once.join(' '))).toEqual(once);
  });

  it("reproduces the SST's own tokenization", () => {
    let total = 0;
    let same = 0;
    for (const split of ['train', 'dev', 'test']) {
      for (const line of readFileSync(path.join(sstDir, `${split}.txt`), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const text = line.slice(0, line.lastIndexOf('|||')).trim();
        total++;
        if (tokenize(text).join(' ') === text.toLowerCase().split(/\s+/).join(' ')) same++;
      }
    }
    expect(total).toBe(11855);
    // The few misses are SST quirks: "No. ." , state abbreviations (wash., pa.).
    expect(same / total).toBeGreaterThan(0.998);
  });
});
