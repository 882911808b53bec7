// Unicode as people type it (issue 18 item 1): full-width and "fancy" letters, invisible format
// characters and emoji glued to words. Property: every variant of a review tokenizes to, and a real
// model scores it like, its plain form; the same tokens come out of the tokenizer bundled for and
// run in Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { normalizeUnicode } from './normalize.js';
import { tokenize } from './tokenizer.js';
import { Vocabulary } from './vocab.js';
import { Rng } from './rng.js';
import { classifierModel } from '../models/classifier.js';
import { resolveConfig } from '../models/config.js';
import { initParams } from '../models/init.js';
import { encodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import type { Predictor } from '../runtime/predictor.js';
import { launchChromium } from '../../test/web/harness.js';

const PLAIN = ['a wonderful , moving film .', "the plot is n't gripping , but the acting is superb !", 'dull and lifeless 😴', 'great fun 😍 👍🏽'];

// Compatibility alphabets NFKC folds back to ASCII: full-width, mathematical bold /
// sans-serif bold / monospace (offsets of 'a' and 'A' in each; italic is left out: its 'h' is a
// hole in the block, U+1D455 is unassigned and the letter lives at U+210E).
const ALPHABETS: [number, number][] = [
  [0xff41, 0xff21],
  [0x1d41a, 0x1d400],
  [0x1d5ee, 0x1d5d4],
  [0x1d68a, 0x1d670],
];
// Format characters people paste without seeing them: soft hyphen, ZWSP, ZWNJ, ZWJ (outside an
// emoji), LRM, RLM, word joiner, BOM, and bidi embedding / isolate controls.
const INVISIBLE = ['\u00ad', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\ufeff', '\u202a', '\u202b', '\u202c', '\u2066', '\u2069'];

function restyle(word: string, [lower, upper]: [number, number]): string {
  return [...word].map((ch) => {
    const c = ch.codePointAt(0)!;
    if (c >= 97 && c <= 122) return String.fromCodePoint(lower + c - 97);
    if (c >= 65 && c <= 90) return String.fromCodePoint(upper + c - 65);
    return ch;
  }).join('');
}

/** A random variant of `plain`: per word a compatibility alphabet, invisible characters inside and around, emoji glued on. */
function variant(plain: string, rng: Rng): string {
  const words = plain.split(' ');
  const out = words.map((w) => {
    const isEmoji = /\p{Extended_Pictographic}/u.test(w);
    let s = !isEmoji && /[a-z]/i.test(w) && rng.nextFloat() < 0.5 ? restyle(w, ALPHABETS[rng.nextInt(ALPHABETS.length)]!) : w;
    if (!isEmoji) {
      const chars = [...s];
      for (let k = rng.nextInt(3); k > 0; k--) chars.splice(1 + rng.nextInt(Math.max(chars.length - 1, 1)), 0, INVISIBLE[rng.nextInt(INVISIBLE.length)]!);
      s = chars.join('');
    }
    // (Not around an emoji: a ZWJ between two emoji joins them, by Unicode's own rules.)
    if (!isEmoji && rng.nextFloat() < 0.3) s = `${INVISIBLE[rng.nextInt(INVISIBLE.length)]}${s}${INVISIBLE[rng.nextInt(INVISIBLE.length)]}`;
    return s;
  });
  // Glue emoji to the word before them; spaces become ideographic (full-width) spaces sometimes.
  return out.reduce((acc, w, i) => {
    if (i === 0) return w;
    const glue = /\p{Extended_Pictographic}/u.test(w) && rng.nextFloat() < 0.7;
    return `${acc}${glue ? '' : rng.nextFloat() < 0.2 ? '\u3000' : ' '}${w}`;
  }, '');
}

const rng = new Rng(18);
const CASES = PLAIN.flatMap((plain) => Array.from({ length: 60 }, () => ({ plain, text: variant(plain, rng) })));

describe('Unicode normalisation', () => {
  it('folds the reported variants to their plain form', () => {
    expect(normalizeUnicode('ａ　ｗｏｎｄｅｒｆｕｌ　ｆｉｌｍ！')).toBe('a wonderful film!');
    expect(tokenize('𝐰𝐨𝐧𝐝𝐞𝐫𝐟𝐮𝐥 𝘧𝘪𝘭𝘮')).toEqual(['wonderful', 'film']);
    expect(tokenize('won\u00adder\u200bful')).toEqual(['wonderful']);
    expect(tokenize('\u200ewonderful\u200f \u202bfilm\u202c')).toEqual(['wonderful', 'film']);
    expect(tokenize('wonderful😍')).toEqual(['wonderful', '😍']);
    expect(tokenize('so good😍😍!')).toEqual(['so', 'good', '😍', '😍', '!']);
    // Emoji sequences stay whole: skin tone, ZWJ sequence, flag.
    expect(tokenize('ok👍🏽 dev👩‍💻 🇫🇷fan')).toEqual(['ok', '👍🏽', 'dev', '👩‍💻', '🇫🇷', 'fan']);
    // A ZWJ between letters is invisible, not a joiner.
    expect(tokenize('won\u200dderful')).toEqual(['wonderful']);
    // NFKC keeps what NFC kept: accents compose, SST's own tokens are unchanged.
    expect(tokenize('cafe\u0301 does n\'t')).toEqual(['café', 'does', "n't"]);
  });

  it('property: every generated variant tokenizes like its plain form', () => {
    const bad = CASES.filter((c) => JSON.stringify(tokenize(c.text)) !== JSON.stringify(tokenize(c.plain)));
    expect(bad.map((c) => [JSON.stringify(c.text), tokenize(c.text).join(' ')])).toEqual([]);
    // The generator does produce variants: none equals its plain form.
    expect(CASES.filter((c) => c.text === c.plain).length).toBeLessThan(CASES.length / 10);
  });

  describe('scoring', () => {
    let predictor: Predictor;
    beforeAll(async () => {
      const vocab = Vocabulary.build(PLAIN.map(tokenize));
      const config = resolveConfig({ layers: 1, vocabSize: vocab.size, embedDim: 8, hidden: 4, seed: 18 });
      predictor = await loadModel(encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() })), { device: 'cpu' });
    });
    afterAll(() => predictor?.release());

    it('property: a real model scores every variant like its plain form, with no unknown token', async () => {
      const variants = await predictor.predict(CASES.map((c) => c.text));
      const plains = await predictor.predict(CASES.map((c) => c.plain));
      CASES.forEach((c, i) => {
        expect(variants[i]!.unknown, JSON.stringify(c.text)).toBe(0);
        variants[i]!.probs.forEach((p, k) => expect(Math.abs(p - plains[i]!.probs[k]!), JSON.stringify(c.text)).toBeLessThan(1e-6));
      });
    });
  });

  it('the tokenizer bundled for the browser gives the same tokens in Chromium', async () => {
    const bundle = await build({
      entryPoints: [new URL('./tokenizer.ts', import.meta.url).pathname],
      bundle: true, write: false, format: 'iife', globalName: 'tok', platform: 'browser', target: 'es2020',
    });
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.setContent('<!doctype html><meta charset="utf-8"><title>t</title>');
      await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
      const texts = CASES.map((c) => c.text);
      const inBrowser = await page.evaluate((ts) => ts.map((t) => (globalThis as unknown as { tok: { tokenize(s: string): string[] } }).tok.tokenize(t)), texts);
      expect(inBrowser).toEqual(texts.map(tokenize));
    } finally {
      await browser?.close();
    }
  }, 60_000);
});
