// Social-media text against a model trained on SST (issue 18 item 2): generates a small,
// deterministic set of tweet-like film reviews (sentiment phrases with @mentions, URLs,
// ratings, emoji and hashtags), then reports the model's unknown-token rate on them and how
// many labels flip when a topic hashtag (#movie, #netflix, …) is appended, with the largest
// probability change.
//
//   npx tsx scripts/tweet-flips.ts --model runs/x/model.onnx [--count 400] [--seed 1]
import { parseArgs } from 'node:util';
import { Rng } from '../src/data/rng.js';
import { loadModel } from '../src/runtime/node.js';

const POS = ['a wonderful film', 'loved every minute of it', 'the acting is superb', 'funny and moving', 'best movie of the year', 'a gripping , beautiful story', 'brilliant performances', 'so much fun'];
const NEG = ['a dull mess', 'boring and far too long', 'the plot makes no sense', 'a waste of time', 'worst film i have seen', 'lifeless and predictable', 'the jokes fall flat', 'painfully bad acting'];
const OPENERS = ['just watched it', 'finally saw it', 'saw it last night', 'watched it with @sarah_k', 'ok so', 'honestly', 'thread :', ''];
const ENDINGS = ['', '!!', ' https://t.co/aB3dE9', ' 10/10', ' 2/10', ' 8/10', ' 😍', ' 😴', ' 🍿', ' #mustsee', ' #fail', ' @AMCTheatres'];
const TOPIC_TAGS = ['#movie', '#film', '#netflix', '#cinema', '#weekend', '#movienight'];

/** One deterministic tweet: opener, sentiment phrase, ending; the rating and emoji agree with the phrase's side. */
function tweet(rng: Rng): string {
  const positive = rng.nextFloat() < 0.5;
  const phrase = (positive ? POS : NEG)[rng.nextInt(POS.length)]!;
  const opener = OPENERS[rng.nextInt(OPENERS.length)]!;
  let end = ENDINGS[rng.nextInt(ENDINGS.length)]!;
  if ((end === ' 10/10' || end === ' 8/10' || end === ' 😍' || end === ' #mustsee') && !positive) end = ' 2/10';
  if ((end === ' 2/10' || end === ' 😴' || end === ' #fail') && positive) end = ' 10/10';
  return `${opener ? `${opener} ` : ''}${rng.nextFloat() < 0.3 ? `@user${rng.nextInt(900)} ` : ''}${phrase}${end}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, count: { type: 'string', default: '400' }, seed: { type: 'string', default: '1' } } });
  if (!values.model) throw new Error('--model PATH is required');
  const rng = new Rng(Number(values.seed));
  const tweets = Array.from({ length: Number(values.count) }, () => tweet(rng));
  const tagged = tweets.map((t) => `${t} ${TOPIC_TAGS[rng.nextInt(TOPIC_TAGS.length)]}`);
  const p = await loadModel(values.model, { device: 'cpu' });
  const base = await p.predict(tweets);
  const withTag = await p.predict(tagged);
  await p.release();
  const tokens = base.reduce((s, x) => s + x.tokens!.length, 0);
  const unknown = base.reduce((s, x) => s + x.unknown!, 0);
  const flips = base.filter((x, i) => x.labelId !== withTag[i]!.labelId).length;
  const maxChange = Math.max(...base.map((x, i) => Math.max(...x.probs.map((q, k) => Math.abs(q - withTag[i]!.probs[k]!)))));
  process.stdout.write(`${JSON.stringify({ model: values.model, tweets: tweets.length, tokens, unknown, unknownRate: unknown / tokens, flips, flipRate: flips / tweets.length, maxProbChange: maxChange, example: { tweet: tagged[0], tokens: withTag[0]!.tokens } })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`tweet-flips: ${(e as Error).message}\n`);
  process.exit(1);
});
