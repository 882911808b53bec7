// `--external-data model-folder` on the command line (issue 11, item 8): predict, eval, inspect
// and import-onnx read a large export's external data from the model file's own folder and
// nowhere else, whatever the working directory. The processes run in another directory that
// holds a decoy file of the same name with other bytes: the answers must be the self-contained
// model's, so the decoy was never read. Without the flag the data is refused, and inspect says
// plainly that it did not read the weights.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { loadModel } from './node.js';
import { modelBytes, predict as post } from '../../test/serve/helpers.js';
import { startServe } from '../../test/serve/process.js';
import { runCliIn } from '../../test/security/cli-process.js';

const root = mkdtempSync(join(tmpdir(), 'external-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const folder = join(root, 'model');
const cwd = join(root, 'elsewhere');
mkdirSync(folder);
mkdirSync(cwd);

/** The test model with its embedding table in `<folder>/<location>`, 16 bytes in. */
function externalModel(dir: string, file: string, location: string, write = true): void {
  const m = decodeModel(modelBytes);
  const t = m.graph!.initializer!.find((x) => x.name === 'embedding.weight')!;
  const data = t.rawData!;
  if (write) writeFileSync(join(dir, location), Buffer.concat([Buffer.alloc(16, 0xee), Buffer.from(data)]));
  t.rawData = new Uint8Array(0);
  t.dataLocation = 1;
  t.externalData = [{ key: 'location', value: location }, { key: 'offset', value: '16' }, { key: 'length', value: String(data.length) }];
  writeFileSync(join(dir, file), encodeModel(m));
}

externalModel(folder, 'm.onnx', 'weights.bin');
// The decoy: same name, in the working directory, other (finite) values.
writeFileSync(join(cwd, 'weights.bin'), Buffer.alloc(16 + decodeModel(modelBytes).graph!.initializer!.find((x) => x.name === 'embedding.weight')!.rawData!.length, 0x3f));
// A model whose data is only in the working directory, and one whose data is a link out of its folder.
const lonely = join(root, 'lonely');
mkdirSync(lonely);
externalModel(lonely, 'm.onnx', 'weights.bin', false);
const linked = join(root, 'linked');
mkdirSync(linked);
externalModel(linked, 'm.onnx', 'weights.bin', false);
symlinkSync(join(cwd, 'weights.bin'), join(linked, 'weights.bin'));
writeFileSync(join(cwd, 'test.tsv'), 'text\tlabel\na gripping film\tpositive\nnot good at all\tnegative\nwonderful\tpositive\n');

const rel = (p: string): string => join('..', p.slice(root.length + 1)); // paths as seen from cwd
const TEXTS = ['a gripping film', 'not good at all', 'wonderful'];
const FLAG = ['--external-data', 'model-folder'];

describe('--external-data model-folder, run from another working directory', () => {
  it('predict and eval read the data from the model folder (not the decoy in the working directory); without the flag they refuse', async () => {
    const inline = await loadModel(modelBytes, { device: 'cpu' });
    const want = await inline.predict(TEXTS);
    await inline.release();
    const model = rel(join(folder, 'm.onnx'));
    const [predict, refused, evalRun, evalRefused] = await Promise.all([
      runCliIn(cwd, ['predict', '--model', model, '--device', 'cpu', ...FLAG, ...TEXTS]),
      runCliIn(cwd, ['predict', '--model', model, '--device', 'cpu', ...TEXTS]),
      runCliIn(cwd, ['eval', '--model', model, '--device', 'cpu', '--file', 'test.tsv', '--json', ...FLAG]),
      runCliIn(cwd, ['eval', '--model', model, '--device', 'cpu', '--file', 'test.tsv', '--json']),
    ]);
    expect(predict.code, predict.stderr).toBe(0);
    const rows = predict.stdout.trim().split('\n').map((l) => JSON.parse(l) as { label: string; probs: Record<string, number> });
    expect(rows.map((r) => r.label)).toEqual(want.map((p) => p.label));
    // The same probabilities as the self-contained model (printed to 6 decimals): the decoy's rows were not read.
    rows.forEach((r, i) => Object.values(r.probs).forEach((p, k) => expect(Math.abs(p - want[i]!.probs[k]!)).toBeLessThan(1e-6)));
    for (const r of [refused, evalRefused]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^highway-onnx: \[E_EXTERNAL_DATA\] the model is not self-contained: initializer 'embedding\.weight' keeps its data in an external file \(location "weights\.bin"\)/);
    }
    expect(evalRun.code, evalRun.stderr).toBe(0);
    expect(JSON.parse(evalRun.stdout)).toMatchObject({ examples: 3 });
  }, 120_000);

  it('inspect says when it did not read the weights, and reads them from the model folder with the flag', async () => {
    const model = rel(join(folder, 'm.onnx'));
    const [plain, read, json] = await Promise.all([
      runCliIn(cwd, ['inspect', model]),
      runCliIn(cwd, ['inspect', model, ...FLAG]),
      runCliIn(cwd, ['inspect', '--json', model]),
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/weights {5}NOT READ: 1 tensor\(s\) keep their data in external file\(s\) "weights\.bin"; their values were not checked \(--external-data model-folder reads them from the model's folder\)/);
    expect(plain.stdout).toMatch(/digest {6}NOT READ: not checked/);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toMatch(/weights {5}all finite \(1 tensor\(s\) read from "weights\.bin" in the model's folder\)/);
    expect(read.stdout).toMatch(/digest {6}sha256:[0-9a-f]+… matches the content/);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'onnx', externalData: { read: false, tensors: 1, files: ['weights.bin'] }, digest: { state: 'not read' } });
  }, 120_000);

  it('import-onnx stores the data read from the model folder inside source.onnx; refuses without the flag', async () => {
    const model = rel(join(folder, 'm.onnx'));
    const [ok, refused] = await Promise.all([
      runCliIn(cwd, ['import-onnx', '--model', model, '--out', 'run', ...FLAG]),
      runCliIn(cwd, ['import-onnx', '--model', model, '--out', 'run-refused']),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\[E_EXTERNAL_DATA\] the model is not self-contained/);
    // Self-contained now: decodes with external data refused, and holds the folder's bytes, not the decoy's.
    const source = decodeModel(new Uint8Array(readFileSync(join(cwd, 'run', 'source.onnx'))));
    const emb = source.graph!.initializer!.find((t) => t.name === 'embedding.weight')!;
    const orig = decodeModel(modelBytes).graph!.initializer!.find((t) => t.name === 'embedding.weight')!;
    expect(Buffer.from(emb.rawData!).equals(Buffer.from(orig.rawData!))).toBe(true);
  }, 120_000);

  it('never the working directory, never a link out of the folder: refused with the flag too', async () => {
    const [missing, link, inspectLink] = await Promise.all([
      runCliIn(cwd, ['predict', '--model', rel(join(lonely, 'm.onnx')), '--device', 'cpu', ...FLAG, 'wonderful']),
      runCliIn(cwd, ['import-onnx', '--model', rel(join(linked, 'm.onnx')), '--out', 'run-link', ...FLAG]),
      runCliIn(cwd, ['inspect', rel(join(linked, 'm.onnx')), ...FLAG]),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[E_EXTERNAL_DATA\] cannot read the external data of initializer 'embedding\.weight': "weights\.bin" does not exist in the model's folder/);
    for (const r of [link, inspectLink]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\[E_EXTERNAL_DATA\] cannot read the external data of initializer 'embedding\.weight': "weights\.bin" leads outside the model's folder \(a symbolic link\)/);
    }
  }, 120_000);

  it('serve (working directory: the project root) loads the data from the model folder with the flag, exits 1 without', async () => {
    const inline = await loadModel(modelBytes, { device: 'cpu' });
    const want = await inline.predict(TEXTS);
    await inline.release();
    const refused = await startServe(join(folder, 'm.onnx'));
    expect(await refused.exit).toBe(1);
    expect(refused.stderr()).toMatch(/\[E_EXTERNAL_DATA\] the model is not self-contained/);
    const s = await startServe(join(folder, 'm.onnx'), FLAG);
    try {
      await s.waitFor(/serving .* at http:\/\/127\.0\.0\.1:\d+/);
      const r = await post(s.url, { texts: TEXTS });
      expect(r.status, r.body).toBe(200);
      const got = (r.json() as { predictions: { label: string; probs: Record<string, number> }[] }).predictions;
      expect(got.map((p) => p.label)).toEqual(want.map((p) => p.label));
      got.forEach((p, i) => Object.values(p.probs).forEach((x, k) => expect(Math.abs(x - want[i]!.probs[k]!)).toBeLessThan(1e-6)));
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
    }
  }, 120_000);
});
