// Inputs and outputs as people meet them: data files with other column names (train, eval, the
// readers' API), one shape of `probs` in the API, the CLI and the server, `predict --gates` with its
// tokens, empty and all-unknown texts flagged, untrained models said to be untrained, a run cut
// short by --max-steps that names no model it never wrote, and seed 0.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../data/files.js';
import { tokenize } from '../data/tokenizer.js';
import { loadModel } from '../runtime/node.js';
import { evaluate } from '../runtime/evaluate.js';
import type { Predictor } from '../runtime/predictor.js';
import { PredictServer } from '../serve/server.js';
import { seedInt } from './args.js';
import { parseIntList } from '../experiment/grid.js';
import { modelBytes, predict, send } from '../../test/serve/helpers.js';
import { startServe } from '../../test/serve/process.js';
import { inProcess, type Result } from '../../test/cli/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'io-'));
const model = join(dir, 'model.onnx');
let predictor: Predictor;
beforeAll(async () => {
  writeFileSync(model, modelBytes);
  predictor = await loadModel(model, { device: 'cpu' });
});
afterAll(async () => {
  await predictor.release();
  rmSync(dir, { recursive: true, force: true });
});

const rows = (r: Result): Record<string, any>[] => r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const TEXTS = ['a gripping film', 'not good at all', 'the plot is dull but the acting is great'];

describe('probs: one shape in the API, the CLI and the server', () => {
  it('one probability per label, in the model\'s label order, the same numbers everywhere', async () => {
    const api = await predictor.predict(TEXTS);
    const cli = rows(await inProcess(['predict', '-m', model, ...TEXTS]));
    const server = new PredictServer(predictor, { log: () => undefined, metrics: { defaultMetrics: false } });
    const { url } = await server.listen(0);
    const body = (await predict(url, { texts: TEXTS })).json();
    await server.shutdown(1000);
    expect(body.labels).toEqual(predictor.labels);
    TEXTS.forEach((_, i) => {
      for (const probs of [api[i]!.probs, cli[i]!.probs, body.predictions[i].probs]) {
        expect(Array.isArray(probs)).toBe(true);
        expect(probs).toHaveLength(predictor.labels.length);
      }
      api[i]!.probs.forEach((p, k) => {
        expect(cli[i]!.probs[k]).toBeCloseTo(p, 6);
        expect(body.predictions[i].probs[k]).toBeCloseTo(p, 6);
      });
      // The label is the most probable class in all three.
      expect(cli[i]!.label).toBe(predictor.labels[api[i]!.probs.indexOf(Math.max(...api[i]!.probs))]);
      expect(body.predictions[i].label).toBe(cli[i]!.label);
    });
  });
});

describe('predict', () => {
  it('--gates prints each token beside its gate value per highway layer', async () => {
    const text = 'The plot is dull , wonderful';
    const [row] = rows(await inProcess(['predict', '-m', model, '--gates', text]));
    const [ref] = await predictor.predict([text]);
    expect(row!.gates.map((g: { token: string }) => g.token)).toEqual(tokenize(text));
    row!.gates.forEach((g: { gates: number[] }, t: number) => {
      expect(g.gates).toHaveLength(2); // two highway layers
      g.gates.forEach((v, l) => expect(v).toBeCloseTo(ref!.gates![l]![t]!, 6));
    });
  });

  it('flags an empty text and one with no known token, in the API and the CLI', async () => {
    const texts = ['', '   ', 'zzz qqq', 'wonderful zzz'];
    const api = await predictor.predict(texts);
    expect(api.map((p) => [p.empty ?? false, p.allUnknown ?? false])).toEqual([[true, false], [true, false], [false, true], [false, false]]);
    const cli = rows(await inProcess(['predict', '-m', model, ...texts]));
    expect(cli.map((r) => [r.empty ?? false, r.allUnknown ?? false])).toEqual([[true, false], [true, false], [false, true], [false, false]]);
  });
});

describe('a model fresh from build-graph says it is untrained', () => {
  const fresh = join(dir, 'fresh.onnx');
  beforeAll(async () => {
    const r = await inProcess(['build-graph', '--out', fresh, '--layers', '1', '--hidden', '4', '--embed-dim', '8', '--seed', '0']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('in predict (stderr) and inspect (text and JSON); a trained model does not', async () => {
    const p = await inProcess(['predict', '-m', fresh, 'a fine film']);
    expect(p.code).toBe(0);
    expect(p.stderr).toMatch(/^highway-onnx: warning: .*fresh\.onnx is untrained \(random initial weights from build-graph \(seed 0\)\): its predictions are noise/);
    expect(rows(p)).toHaveLength(1);
    const i = await inProcess(['inspect', fresh]);
    expect(i.stdout).toMatch(/weights +UNTRAINED: random initial weights from build-graph \(seed 0\)/);
    expect(JSON.parse((await inProcess(['inspect', '--json', fresh])).stdout).classifier.untrained).toBe('random initial weights from build-graph (seed 0)');
    const trained = await inProcess(['predict', '-m', model, 'a fine film']);
    expect(trained.stderr).toBe('');
    expect((await inProcess(['inspect', model])).stdout).not.toMatch(/UNTRAINED/);
  });

  it('in serve: the start line and /healthz', async () => {
    const s = await startServe(fresh);
    try {
      await s.waitFor(/serving .*UNTRAINED \(random initial weights from build-graph \(seed 0\)\): its predictions are noise/);
      const h = await send(s.url, { path: '/healthz' });
      expect(h.json().model.untrained).toMatch(/random initial weights from build-graph/);
    } finally {
      s.child.kill('SIGKILL');
      await s.exit;
    }
  });
});

/** Writes train/dev/test in `format` with the sentence under `text` and the label under `label`. */
function writeSplits(sub: string, format: 'tsv' | 'csv' | 'jsonl', text: string, label: string): string {
  const d = join(dir, sub);
  mkdirSync(d, { recursive: true });
  const examples = [['a gripping , wonderful film', 'positive'], ['not good at all', 'negative'], ['dull and flat', 'negative'], ['great acting', 'positive']];
  const body = (rowsOf: string[][]): string =>
    format === 'jsonl'
      ? rowsOf.map(([t, l]) => JSON.stringify({ id: 7, [text]: t, [label]: l })).join('\n')
      : [['id', text, label].join(format === 'csv' ? ',' : '\t'), ...rowsOf.map(([t, l]) => ['7', format === 'csv' ? `"${t}"` : t, l].join(format === 'csv' ? ',' : '\t'))].join('\n');
  for (const split of ['train', 'dev', 'test']) writeFileSync(join(d, `${split}.${format}`), `${body(examples)}\n`);
  return d;
}

describe('--text-column / --label-column', () => {
  it('the readers\' API reads TSV, CSV and JSONL under other column names; the defaults name what is missing', async () => {
    for (const format of ['tsv', 'csv', 'jsonl'] as const) {
      const d = writeSplits(`api-${format}`, format, 'review', 'sentiment');
      const ds = await readDataset(d, { textColumn: 'review', labelColumn: 'sentiment' });
      expect(ds.labels).toEqual(['negative', 'positive']);
      expect(ds.train.map((e) => [e.text, ds.labels[e.label]])).toEqual([['a gripping , wonderful film', 'positive'], ['not good at all', 'negative'], ['dull and flat', 'negative'], ['great acting', 'positive']]);
      await expect(readDataset(d)).rejects.toThrow(format === 'jsonl' ? /a "text" field, found fields "id, review, sentiment" \(name the field with --text-column\)/ : /one column named 'text', found no such column in "id, review, sentiment" \(name the column with --text-column\)/);
    }
    const sst = join(dir, 'sst');
    mkdirSync(sst);
    for (const s of ['train', 'dev', 'test']) writeFileSync(join(sst, `${s}.txt`), 'a fine film ||| 4\n');
    await expect(readDataset(sst, { textColumn: 'review' })).rejects.toMatchObject({ code: 'E_DATA_OPTION', message: expect.stringMatching(/format 'sst', which has none/) });
  });

  it('eval --data / --file with the columns scores what evaluate() scores', async () => {
    const d = writeSplits('eval-csv', 'csv', 'review', 'sentiment');
    const ds = await readDataset(d, { textColumn: 'review', labelColumn: 'sentiment' });
    const ref = await evaluate(predictor, { examples: ds.test, labels: ds.labels });
    for (const source of [['--data', d], ['--file', join(d, 'test.csv')]]) {
      const r = await inProcess(['eval', '-m', model, ...source, '--text-column', 'review', '--label-column', 'sentiment', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.accuracy).toBeCloseTo(ref.accuracy, 9);
      expect(report.loss).toBeCloseTo(ref.loss, 5);
    }
    const bad = await inProcess(['eval', '-m', model, '--file', join(d, 'test.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\[E_DATA_FORMAT\].*one column named 'text'/);
  });

  it('train reads them, records them for --resume; --max-steps before the first epoch ends names no model; --seed 0 is a seed', async () => {
    const d = writeSplits('train-jsonl', 'jsonl', 'body', 'stars');
    const out = join(dir, 'run');
    const r = await inProcess(['train', '--data', d, '--text-column', 'body', '--label-column', 'stars', '--seed', '0', '--max-steps', '1', '--batch', '2',
      '--layers', '1', '--hidden', '4', '--embed-dim', '8', '--epochs', '1', '--no-progress', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.model).toBeNull();
    expect(existsSync(join(out, 'model.onnx'))).toBe(false);
    expect(existsSync(result.checkpoint)).toBe(true);
    expect(r.stderr).toMatch(/no model yet: the run stopped at step 1, before its first epoch ended; continue with: highway-onnx train --resume --out /);
    const artifact = JSON.parse(readFileSync(join(out, 'artifact.json'), 'utf8'));
    expect(artifact.hyperparameters.seed).toBe(0);
    expect(artifact.config.labels).toEqual(['negative', 'positive']);
    // Resumed with no data flags: the record's columns read the same files.
    const resumed = await inProcess(['train', '--resume', '--out', out, '--no-progress']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).model).toBe(join(out, 'model.onnx'));
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
  }, 60_000);
});

describe('--text-column / --label-column in finetune', () => {
  it('fine-tunes to the same model as the same data under the default names (and not to the original)', async () => {
    const run = join(dir, 'ft');
    const imported = await inProcess(['import-onnx', '--model', model, '--out', run]);
    expect(imported.code, imported.stderr).toBe(0);
    const named = writeSplits('ft-named', 'csv', 'body', 'stars');
    const plain = writeSplits('ft-plain', 'csv', 'text', 'label');
    const tune = (data: string, out: string, extra: string[] = []): Promise<Result> =>
      inProcess(['finetune', '--init', run, '--data', data, '--out', out, '--seed', '0', '--lr', '0.5', '--optimizer', 'sgd', '--epochs', '2', '--batch', '2', ...extra]);
    const a = await tune(named, join(dir, 'ft-a'), ['--text-column', 'body', '--label-column', 'stars']);
    expect(a.code, a.stderr).toBe(0);
    const b = await tune(plain, join(dir, 'ft-b'));
    expect(b.code, b.stderr).toBe(0);
    const refuse = await tune(named, join(dir, 'ft-c'));
    expect(refuse.code).toBe(1);
    expect(refuse.stderr).toMatch(/one column named 'text'.*--text-column/);
    const score = async (file: string): Promise<number[]> => {
      const p = await loadModel(file, { device: 'cpu' });
      const out = (await p.predict(TEXTS)).flatMap((x) => x.logits);
      await p.release();
      return out;
    };
    const [la, lb, l0] = [await score(join(dir, 'ft-a', 'model.onnx')), await score(join(dir, 'ft-b', 'model.onnx')), await score(model)];
    la.forEach((x, i) => expect(x).toBeCloseTo(lb[i]!, 6));
    expect(Math.max(...la.map((x, i) => Math.abs(x - l0[i]!)))).toBeGreaterThan(1e-4);
  }, 60_000);
});

describe('--seed 0 is accepted wherever seeds are taken', () => {
  it('parsers: the CLI seed (0 to 2^32 − 1) and the seed lists of experiment/sweep', () => {
    expect(seedInt('0')).toBe(0);
    expect(seedInt('4294967295')).toBe(4294967295);
    for (const bad of ['-1', '4294967296', '1.5', '', 'x']) expect(() => seedInt(bad)).toThrow(/expected an integer from 0 to 4294967295/);
    expect(parseIntList('2,0,1', '--seeds', 0)).toEqual([0, 1, 2]);
    expect(() => parseIntList('0,1', '--depths')).toThrow(/'0' is not a positive integer/);
  });

  it('finetune and build-graph take --seed 0 (finetune fails later, on its missing --init, not on the seed)', async () => {
    const f = await inProcess(['finetune', '--init', join(dir, 'none'), '--data', join(dir, 'none'), '--seed', '0']);
    expect(f.code).toBe(1);
    expect(f.stderr).not.toMatch(/--seed/);
    const neg = await inProcess(['finetune', '--init', join(dir, 'none'), '--data', join(dir, 'none'), '--seed', '-1']);
    expect(neg.stderr).toMatch(/--seed.*expected an integer from 0 to 4294967295, found '-1'/);
  });
});
