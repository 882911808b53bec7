// `npm run experiment:twin`: our trainer against the PyTorch twin (scripts/torch/train_twin.py)
// on the identical recipe, in the same run: for every depth × seed both start from our seeded
// initial weights and see the same token ids and the same batches in the same order; only the
// dropout masks (each framework's own generator) and float summation order differ.
// Resume-safe: each finished run writes <out>/cells/<framework>-d<depth>-s<seed>.json and is
// skipped on a rerun; results.md and results.json are rewritten after every run.
import { spawn } from 'node:child_process';
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { readDataset } from '../src/data/files.js';
import { tokenize } from '../src/data/tokenizer.js';
import { Vocabulary } from '../src/data/vocab.js';
import { Rng } from '../src/data/rng.js';
import { lengthBucketedBatches } from '../src/data/batches.js';
import type { Example } from '../src/data/example.js';
import { resolveConfig, type CarryMode, type ModelConfig } from '../src/models/config.js';
import { initParams } from '../src/models/init.js';
import { writeSafetensorsFile } from '../src/formats/weights-file.js';
import { train } from '../src/train/trainer.js';
import { number, positiveInt } from '../src/cli/args.js';
import { parseIntList } from '../src/experiment/grid.js';
import { writeJsonAtomic } from '../src/experiment/results.js';

interface Recipe {
  data: string; epochs: number; lr: number; dropout: number; gateBias: number; carry: CarryMode;
  batch: number; clip: number; embedDim: number; hidden: number; threads: number;
}

/** One finished run; accuracies are fractions. */
interface Cell {
  framework: 'ours' | 'pytorch'; depth: number; seed: number;
  bestEpoch: number; bestDevAccuracy: number; testAccuracy: number; seconds: number;
  epochs: { epoch: number; devAccuracy: number; trainLoss: number; seconds: number }[];
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const cellFile = (out: string, c: Pick<Cell, 'framework' | 'depth' | 'seed'>): string =>
  join(out, 'cells', `${c.framework}-d${String(c.depth).padStart(2, '0')}-s${c.seed}.json`);

function encode(examples: Example[], vocab: Vocabulary): { ids: number[][]; labels: number[] } {
  return { ids: examples.map((e) => vocab.encode(tokenize(e.text))), labels: examples.map((e) => e.label) };
}

function modelOf(r: Recipe, depth: number): Partial<ModelConfig> {
  return { kind: 'highway', layers: depth, embedDim: r.embedDim, hidden: r.hidden, carry: r.carry, gateBias: r.gateBias, dropout: r.dropout };
}

async function runOurs(r: Recipe, out: string, depth: number, seed: number): Promise<Cell> {
  const dir = join(out, 'runs', `ours-d${depth}-s${seed}`);
  const t0 = performance.now();
  const res = await train({
    out: dir, data: r.data, model: { ...modelOf(r, depth), seed }, optimizer: { kind: 'adam', clipNorm: r.clip },
    lr: r.lr, epochs: r.epochs, batchSize: r.batch, patience: r.epochs, seed, threads: r.threads,
    resume: await exists(join(dir, 'checkpoint.safetensors')), progress: false, log: (l) => console.error(`  ours: ${l}`),
  });
  const epochs = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).split('\n').filter((l) => l.includes('"type":"epoch"'))
    .map((l) => JSON.parse(l) as Cell['epochs'][number]).map(({ epoch, devAccuracy, trainLoss, seconds }) => ({ epoch, devAccuracy, trainLoss, seconds }));
  return { framework: 'ours', depth, seed, bestEpoch: res.bestEpoch, bestDevAccuracy: res.bestDevAccuracy, testAccuracy: res.testAccuracy ?? NaN, seconds: (performance.now() - t0) / 1000, epochs };
}

async function runTwin(r: Recipe, out: string, depth: number, seed: number): Promise<Cell> {
  const dir = join(out, 'runs', `pytorch-d${depth}-s${seed}`);
  await mkdir(dir, { recursive: true });
  // Exactly what train() does: vocabulary of the training tokens, config, seeded init, batch order.
  const data = await readDataset(r.data);
  const vocab = Vocabulary.build(data.train.map((e) => tokenize(e.text)), { minFreq: 1 });
  const config = resolveConfig({ seed, ...modelOf(r, depth), vocabSize: vocab.size, classes: data.labels.length, labels: data.labels });
  const trainSet = encode(data.train, vocab);
  const batches = Array.from({ length: r.epochs }, (_, e) => lengthBucketedBatches(trainSet.ids, r.batch, new Rng(seed * 7919 + e)));
  const params = initParams(config);
  await writeSafetensorsFile(join(dir, 'init.safetensors'), [...params].map(([name, t]) => [name, { dtype: 'F32', shape: t.dims, data: t.data as Float32Array }]));
  const plan = { config, seed, lr: r.lr, clip: r.clip, train: trainSet, dev: encode(data.dev, vocab), test: encode(data.test, vocab), batches };
  await writeFile(join(dir, 'plan.json'), JSON.stringify(plan));
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['scripts/torch/train_twin.py', '--run', dir, '--threads', String(r.threads)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // libgomp's spinning waiters make torch several times slower on a loaded machine (scripts/bench/training.ts).
      env: { OMP_WAIT_POLICY: 'PASSIVE', ...process.env },
    });
    child.stdout.on('data', (b: Buffer) => process.stderr.write(b.toString().split('\n').filter(Boolean).map((l) => `  pytorch: ${l}\n`).join('')));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`train_twin.py exited with ${code}`))));
  });
  const res = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as Omit<Cell, 'framework' | 'depth' | 'seed'>;
  return { framework: 'pytorch', depth, seed, bestEpoch: res.bestEpoch, bestDevAccuracy: res.bestDevAccuracy, testAccuracy: res.testAccuracy, seconds: (performance.now() - t0) / 1000, epochs: res.epochs };
}

const pct = (x: number): string => (100 * x).toFixed(1);
function stat(xs: number[]): string {
  if (xs.length === 0) return '–';
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.length > 1 ? `${pct(mean)} ± ${((100 * (Math.max(...xs) - Math.min(...xs))) / 2).toFixed(1)}` : pct(mean);
}

async function writeReport(out: string, r: Recipe, command: string): Promise<void> {
  const dir = join(out, 'cells');
  const cells: Cell[] = [];
  for (const f of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort()) cells.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as Cell);
  await writeJsonAtomic(join(out, 'results.json'), { recipe: r, cells });
  const depths = [...new Set(cells.map((c) => c.depth))].sort((a, b) => a - b);
  const pick = (fw: Cell['framework'], d: number): Cell[] => cells.filter((c) => c.framework === fw && c.depth === d).sort((a, b) => a.seed - b.seed);
  const lines = [
    '# Sentence-level SST-2: ours vs the PyTorch twin, identical recipe', '',
    `Recipe: Highway BiLSTM, embedding ${r.embedDim} (random init), hidden ${r.hidden} per direction, carry '${r.carry}', gate bias ${r.gateBias}, ` +
      `dropout ${r.dropout}, Adam lr ${r.lr}, clip ${r.clip}, batch ${r.batch}, ${r.epochs} epochs, no early stopping; best-dev epoch's test accuracy. ` +
      `Both start from our seeded initial weights and see the same batches in the same order; dropout masks differ. Data: ${r.data}.`,
    '', `Command: \`${command}\``, '',
    '| depth | seeds | ours dev | ours test | PyTorch dev | PyTorch test | ours − PyTorch test | time ours / PyTorch |',
    '|---:|:---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const d of depths) {
    // Only seeds both frameworks finished are compared; an unpaired run shows in the per-run list.
    const t = pick('pytorch', d).filter((c) => pick('ours', d).some((x) => x.seed === c.seed));
    const o = pick('ours', d).filter((c) => t.some((x) => x.seed === c.seed));
    if (o.length === 0) continue;
    const diff = o.map((c) => c.testAccuracy - t.find((x) => x.seed === c.seed)!.testAccuracy);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    lines.push(
      `| ${d} | ${o.map((c) => c.seed).join(',')} | ${stat(o.map((c) => c.bestDevAccuracy))} | ${stat(o.map((c) => c.testAccuracy))} | ` +
        `${stat(t.map((c) => c.bestDevAccuracy))} | ${stat(t.map((c) => c.testAccuracy))} | ${diff.length ? `${diff.map((x) => (100 * x >= 0 ? '+' : '') + (100 * x).toFixed(1)).join(', ')}` : '–'} | ` +
        `${o.length && t.length ? `${(mean(o.map((c) => c.seconds)) / 60).toFixed(1)} / ${(mean(t.map((c) => c.seconds)) / 60).toFixed(1)} min` : '–'} |`,
    );
  }
  lines.push('', 'Per run (dev accuracy per epoch, %):', '');
  for (const c of cells) lines.push(`- ${c.framework} depth ${c.depth} seed ${c.seed}: dev ${c.epochs.map((e) => pct(e.devAccuracy)).join(' / ')}; best epoch ${c.bestEpoch}, test ${pct(c.testAccuracy)}`);
  await writeFile(join(out, 'results.md'), `${lines.join('\n')}\n`);
}

const program = new Command('experiment:twin')
  .description('our trainer vs the PyTorch twin on the identical recipe (sentence-level); resume-safe')
  .option('--data <dir>', 'SST data directory (sentences or trees; sentence-level)', '../shared/data/sst')
  .option('--depths <list>', 'Highway BiLSTM depths', '1,4')
  .option('--seeds <list>', 'seeds', '1,2,3')
  .option('--epochs <n>', 'epochs (no early stopping)', positiveInt, 4)
  .option('--lr <x>', 'Adam learning rate', number, 0.002)
  .option('--dropout <p>', 'dropout', number, 0.3)
  .option('--gate-bias <b>', 'transform-gate bias', number, -1)
  .option('--carry <mode>', 'highway carry', 'identity')
  .option('--batch <n>', 'batch size', positiveInt, 32)
  .option('--clip <x>', 'global gradient-norm clip (0: none)', number, 5)
  .option('--embed-dim <n>', 'embedding width', positiveInt, 100)
  .option('--hidden <n>', 'hidden units per direction', positiveInt, 50)
  .option('--threads <n>', 'threads for each framework', positiveInt, 2)
  .option('--out <dir>', 'output directory', 'experiments/sst2-twin')
  .option('--report-only', 'rewrite results.md and results.json from the finished runs, train nothing');
program.parse(process.argv);
const o = program.opts<{ reportOnly?: boolean; data: string; depths: string; seeds: string; epochs: number; lr: number; dropout: number; gateBias: number; carry: CarryMode; batch: number; clip: number; embedDim: number; hidden: number; threads: number; out: string }>();
const recipe: Recipe = { data: o.data, epochs: o.epochs, lr: o.lr, dropout: o.dropout, gateBias: o.gateBias, carry: o.carry, batch: o.batch, clip: o.clip, embedDim: o.embedDim, hidden: o.hidden, threads: o.threads };
const command = `npm run experiment:twin -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, '');
const recipePath = join(o.out, 'recipe.json');
const previous = await readFile(recipePath, 'utf8').then((t) => t, () => null);
if (previous !== null && previous !== JSON.stringify(recipe)) {
  process.stderr.write(`experiment:twin: ${o.out} holds runs with another recipe (${previous}); choose another --out\n`);
  process.exit(1);
}
if (o.reportOnly) {
  // Keep the command that trained the runs, not this one.
  const earlier = await readFile(join(o.out, 'results.md'), 'utf8').then((t) => /^Command: `(.*)`$/m.exec(t)?.[1], () => undefined);
  await writeReport(o.out, recipe, earlier ?? command);
  process.exit(0);
}
await mkdir(join(o.out, 'cells'), { recursive: true });
await writeFile(recipePath, JSON.stringify(recipe));
for (const seed of parseIntList(o.seeds, '--seeds')) {
  for (const depth of parseIntList(o.depths, '--depths')) {
    for (const framework of ['ours', 'pytorch'] as const) {
      const file = cellFile(o.out, { framework, depth, seed });
      if (await exists(file)) continue;
      console.error(`${framework} depth ${depth} seed ${seed}`);
      const cell = framework === 'ours' ? await runOurs(recipe, o.out, depth, seed) : await runTwin(recipe, o.out, depth, seed);
      await writeJsonAtomic(file, cell);
      console.error(`  ${framework} depth ${depth} seed ${seed}: best dev ${pct(cell.bestDevAccuracy)} (epoch ${cell.bestEpoch}), test ${pct(cell.testAccuracy)}, ${(cell.seconds / 60).toFixed(1)} min`);
      await writeReport(o.out, recipe, command);
    }
  }
}
await writeReport(o.out, recipe, command);
