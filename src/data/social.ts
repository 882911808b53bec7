/**
 * Social-media placeholders (the tokenizer's `social` rules, off by default): URLs, @mentions,
 * hashtags and numbers carry little that a vocabulary can learn as written — every URL is a new
 * word — so they are replaced before tokenization by tokens that recur:
 *
 *  - `https://…`, `http://…`, `www.…` → `<url>` (trailing sentence punctuation stays outside);
 *  - `@name` (not inside a word, so e-mail addresses are left alone) → `<user>`;
 *  - `#word` → the hashtag's words: `#boring` → `boring`, `#BestFilmEver` → `best film ever`,
 *    `#must_see` → `must see` (camel case and underscores split);
 *  - a rating `x/y` with y ∈ {5, 10, 100} and 0 ≤ x ≤ y (`10/10`, `4.5/5`) → `<rating-high>`
 *    when x/y ≥ 0.7, `<rating-low>` when x/y ≤ 0.4, `<rating-mid>` otherwise;
 *  - any other number (`2`, `1,000`, `3.5`, `90s` keeps its letters: `<number>s`) → `<number>`.
 *
 * Placeholders are written in `<…>` so that they cannot collide with a word of the text.
 */

/** Placeholder tokens the social rules produce. */
export const SOCIAL_PLACEHOLDERS = ['<url>', '<user>', '<number>', '<rating-high>', '<rating-mid>', '<rating-low>'] as const;

const URL = /\b(?:https?:\/\/|www\.)\S*[^\s.,!?;:)\]}'"]/giu;
const MENTION = /(?<![\p{L}\p{N}_@.])@[\p{L}\p{N}_]+/gu;
const HASHTAG = /(?<![\p{L}\p{N}_&#])#(\p{L}[\p{L}\p{N}_]*)/gu;
const RATING = /(?<![\p{L}\p{N}.,/])(\d+(?:\.\d+)?)\s*\/\s*(5|10|100)(?![\p{N}/]|[.,]\d)/gu;
const NUMBER = /(?<![\p{L}\p{N}<])\d+(?:[.,:]\d+)*(?!\p{N})/gu;

function hashtagWords(word: string): string {
  return word
    .replace(/_+/g, ' ')
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .trim();
}

function ratingToken(x: string, y: string): string | null {
  const v = Number(x);
  const scale = Number(y);
  if (!(v >= 0 && v <= scale)) return null;
  const r = v / scale;
  return r >= 0.7 ? '<rating-high>' : r <= 0.4 ? '<rating-low>' : '<rating-mid>';
}

/** The social rules above, applied to (already Unicode-normalised) text. */
export function applySocialRules(text: string): string {
  return text
    .replace(URL, ' <url> ')
    .replace(MENTION, ' <user> ')
    .replace(HASHTAG, (_m, word: string) => ` ${hashtagWords(word)} `)
    .replace(RATING, (m, x: string, y: string) => {
      const t = ratingToken(x, y);
      return t === null ? m : ` ${t} `;
    })
    .replace(NUMBER, ' <number> ');
}
