// `npm run fetch-data`: the Stanford Sentiment Treebank from its public source
// (nlp.stanford.edu's trainDevTestTrees_PTB.zip), converted to `sentence ||| label` files
// in data/sst/ (git-ignored: the project never commits data). Where there is no network it
// says so, says where to put the files instead, and exits non-zero.
//
//   npm run fetch-data                              download and convert into data/sst
//   npm run fetch-data -- --from trainDevTestTrees_PTB.zip   convert a downloaded zip (offline)
//   npm run fetch-data -- --from DIR                convert extracted trees (DIR/trees/*.txt or DIR/*.txt)
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { Command } from 'commander';
import { sstTreesToLines } from '../src/data/sst-trees.js';
import { readDataset } from '../src/data/files.js';

const SST_URL = 'https://nlp.stanford.edu/sentiment/trainDevTestTrees_PTB.zip';
const SPLITS = ['train', 'dev', 'test'] as const;

const o = new Command('fetch-data')
  .description('download the Stanford Sentiment Treebank and write data/sst/{train,dev,test}.txt (sentence ||| label)')
  .option('--out <dir>', 'where to write train.txt, dev.txt, test.txt', 'data/sst')
  .option('--url <url>', 'download URL of trainDevTestTrees_PTB.zip', SST_URL)
  .option('--from <path>', 'convert a local trainDevTestTrees_PTB.zip or a directory of extracted trees instead of downloading')
  .option('--timeout <s>', 'download timeout in seconds', (v) => Number(v), 60)
  .option('--force', 'overwrite existing files')
  .parse(process.argv)
  .opts<{ out: string; url: string; from?: string; timeout: number; force?: boolean }>();

const say = (line: string): void => void process.stderr.write(`${line}\n`);

function fail(lines: string[]): never {
  for (const l of lines) say(l);
  process.exit(1);
}

/** Entries of a zip archive (stored or deflated), by name. */
function unzip(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${source} is not a zip archive (no end-of-central-directory record)`);
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  const out = new Map<string, Uint8Array>();
  for (let k = 0; k < count; k++) {
    if (dv.getUint32(p, true) !== 0x02014b50) throw new Error(`${source}: bad central directory entry ${k}`);
    const method = dv.getUint16(p + 10, true);
    const compSize = dv.getUint32(p + 20, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (dv.getUint32(local, true) !== 0x04034b50) throw new Error(`${source}: bad local header for ${name}`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    const data = bytes.subarray(start, start + compSize);
    if (method === 0) out.set(name, data);
    else if (method === 8) out.set(name, new Uint8Array(inflateRawSync(data)));
    else throw new Error(`${source}: entry ${name} uses compression method ${method} (only stored and deflate are read)`);
  }
  return out;
}

/** The three trees files from a zip (bytes) or a directory. */
async function treesFrom(source: string, bytes?: Uint8Array): Promise<Record<(typeof SPLITS)[number], string>> {
  const found: Partial<Record<(typeof SPLITS)[number], string>> = {};
  if (bytes) {
    const entries = unzip(bytes, source);
    for (const split of SPLITS) {
      const key = [...entries.keys()].find((n) => n === `trees/${split}.txt` || n.endsWith(`/trees/${split}.txt`) || n === `${split}.txt`);
      if (key) found[split] = new TextDecoder().decode(entries.get(key));
    }
  } else {
    for (const split of SPLITS) {
      const file = [path.join(source, 'trees', `${split}.txt`), path.join(source, `${split}.txt`)].find((f) => existsSync(f));
      if (file) found[split] = await readFile(file, 'utf8');
    }
  }
  const missing = SPLITS.filter((s) => found[s] === undefined);
  if (missing.length > 0) throw new Error(`${source} lacks trees/${missing.join('.txt, trees/')}.txt`);
  return found as Record<(typeof SPLITS)[number], string>;
}

const out = o.out;
if (!o.force && SPLITS.every((s) => existsSync(path.join(out, `${s}.txt`)))) {
  say(`${out} already holds train.txt, dev.txt and test.txt; nothing to do (--force to overwrite).`);
  process.exit(0);
}

const whereToPut = [
  `Put the data there by hand instead, either way:`,
  `  - download ${o.url} on a machine with network, copy it here, then: npm run fetch-data -- --from trainDevTestTrees_PTB.zip`,
  `  - or place train.txt, dev.txt, test.txt ("sentence ||| label", labels 0-4, one sentence per line) in ${path.resolve(out)}/`,
  `    (or in any directory, then pass --data DIR to train, npm start or npm run experiment).`,
];

let trees: Record<(typeof SPLITS)[number], string>;
try {
  if (o.from) {
    const info = await stat(o.from).catch(() => null);
    if (!info) fail([`fetch-data: ${o.from} does not exist.`, ...whereToPut]);
    say(`reading ${o.from}`);
    trees = info!.isDirectory() ? await treesFrom(o.from) : await treesFrom(o.from, new Uint8Array(await readFile(o.from)));
  } else {
    say(`downloading ${o.url} …`);
    let bytes: Uint8Array;
    try {
      const res = await fetch(o.url, { signal: AbortSignal.timeout(o.timeout * 1000) });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const reason = err.cause?.code ?? err.cause?.message ?? err.message;
      fail([`fetch-data: download failed: ${o.url}: ${reason} (no network here?).`, ...whereToPut]);
    }
    say(`downloaded ${(bytes!.length / 1e6).toFixed(1)} MB`);
    trees = await treesFrom(o.url, bytes!);
  }
} catch (e) {
  fail([`fetch-data: ${(e as Error).message}`, ...whereToPut]);
}

await mkdir(out, { recursive: true });
for (const split of SPLITS) {
  const file = path.join(out, `${split}.txt`);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, sstTreesToLines(trees![split], `${o.from ?? o.url}:trees/${split}.txt`));
  await rename(tmp, file);
}
const five = await readDataset(out, { format: 'sst', binary: false });
const two = await readDataset(out, { format: 'sst', binary: true });
say(`wrote ${out}/{train,dev,test}.txt: 5-class ${five.train.length}/${five.dev.length}/${five.test.length}, binary (SST-2, neutral dropped) ${two.train.length}/${two.dev.length}/${two.test.length} sentences.`);
say(`use it with: npm start -- --data ${out}   or   npm run experiment -- --data ${out}`);
