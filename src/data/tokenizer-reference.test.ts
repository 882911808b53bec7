// The tokenizer's fast paths (ASCII text skips the Unicode passes, rule 4 in one regex, words with
// no apostrophe, final period or six letters skip rules 5–6) must cut text exactly as the plain
// tokenizer they replaced (test/helpers/tokenizer-reference.ts, the rules at 891fa56, every pass
// on every text): checked token for token on adversarial mixes drawn at random from pieces that
// each rule cares about, with the social rules off and on.
import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';
import { tokenizerFor } from './tokenizer.js';
import { referenceTokenizerFor } from '../../test/helpers/tokenizer-reference.js';

// Single characters and whole pieces: quotes and apostrophes (ASCII and curly), periods, digits
// with , and :, hyphens and dashes, brackets and PTB escapes, emoji with joiners, skin tones, flags
// and tags, combining marks, non-ASCII punctuation, compatibility forms, CRLF and tabs, clitics,
// abbreviations and the social rules' URLs, mentions, hashtags and ratings.
const PIECES = [
  ...'aAzZ09 .,:;\'"`-()[]{}!?$#%&/\\@_*\t\r\n',
  '’', '‘', '“', '”', '„', '′', 'ʼ', '—', '–', '‒', '…', '−', '‐', '‑', '«', '»', '¿', '¡', '·', '。', '、', '，', '！',
  '😍', '👍🏽', '👩‍💻', '❤️', '\u200d', '🇫🇷', '🏴\u{E0067}\u{E0062}\u{E007F}', '\u{E0067}', '\u0301', '\u0308',
  'é', 'ß', 'İ', 'ﬁ', '½', '²', 'Ａ', '𝐠', 'ǅ', 'Σ', '\u00a0', '\u3000', '\u00ad', '\u200b', '\u200e', '\ufeff',
  "n't", "'s", "'re", "'ll", "'d", "'m", "'ve", 'cannot', 'CANNOT', "can't", "won't", "'em", "'til", "'n'", "ol'", "'70s",
  'Mr.', 'no.', 'No. ', 'U.S.', 'J.', 'etc.', 'e.g.', '...', '..', '--', '---', '1,000', '2:30', '3,', ',5',
  '-lrb-', '-RRB-', '-Lsb-', '-rcb-', 'http://a.b/c?d=1', 'www.x.io', '@user', '#HashTag', '#1', '8/10', '4.5/5', '10/10', '1st', ' ',
];

function randomText(rng: Rng, maxPieces: number): string {
  let s = '';
  for (let n = 1 + rng.nextInt(maxPieces); n > 0; n--) s += PIECES[rng.nextInt(PIECES.length)]!;
  return s;
}

describe('tokenizer fast paths against the plain reference', () => {
  for (const social of [false, true]) {
    it(`${social ? 'social' : 'default'} rules: 20,000 random mixes and the hand-picked cases cut token for token alike`, () => {
      const fast = tokenizerFor({ social });
      const reference = referenceTokenizerFor({ social });
      const handPicked = [
        '', ' ', '\r\n\t', "'", "''", "'''", '`', '``', '"', '""', 'x.', '.', 'A.', 'cannot.', "Cannot's", "'cannot", "cannot'", "ol'.", "'n'.",
        `"Hello," she said -- 'twas "great"...`, '1,,2 3::4 5,a a,5 ,: :,', '(")', '["x"]', '`"x"', "it’s o’clock — “fine”…",
        'ｆｕｌｌ ｗｉｄｔｈ 𝐠𝐨𝐨𝐝 ﬁne', 'cafe\u0301. nai\u0308ve', 'great😍😍 👩‍💻x 🇫🇷🇫🇷', '\u00ad\u200b\u200e\ufeff', 'a\r\nb\tc',
      ];
      const rng = new Rng(social ? 2 : 1);
      const texts = [...handPicked, ...Array.from({ length: 20_000 }, () => randomText(rng, 10))];
      const differing = texts.filter((t) => JSON.stringify(fast(t)) !== JSON.stringify(reference(t)));
      expect(differing.map((t) => ({ text: t, fast: fast(t), reference: reference(t) }))).toEqual([]);
    });
  }
});
