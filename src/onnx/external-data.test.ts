// §1 of issue 10: a model whose tensors point at other files (data_location = EXTERNAL) is
// refused at vetting in every entry point, with E_EXTERNAL_DATA, and nothing about the files
// in the working directory leaks: not their bytes (through outputs), not their sizes or names
// (through error messages). The attack is shown live first: onnxruntime, handed the crafted
// bytes, really does read the file from its working directory.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel } from './proto.js';
import { ExternalDataError } from './errors.js';
import { externalTensors } from './external.js';
import { vetClassifierModel } from '../runtime/validate.js';
import { loadModel } from '../runtime/node.js';
import * as web from '../web/index.js';
import { modelBytes } from '../../test/serve/helpers.js';
import { craftedModels, SECRET_NAME, SECRET_TEXT } from '../../test/security/external-fixtures.js';
import { ROOT, runCliIn } from '../../test/security/cli-process.js';
import { rejection } from '../../test/helpers/rejection.js';

const cwd = mkdtempSync(join(tmpdir(), 'external-data-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
writeFileSync(join(cwd, SECRET_NAME), SECRET_TEXT);
writeFileSync(join(cwd, 'package.json'), SECRET_TEXT);
const crafted = craftedModels();
const attack = crafted[0]!; // the embedding table read from ./secret.txt
const model = join(cwd, 'model.onnx');
writeFileSync(model, attack.bytes);
writeFileSync(join(cwd, 'pkg.onnx'), craftedModels('package.json')[0]!.bytes);
writeFileSync(join(cwd, 'dev.txt'), 'a gripping film ||| 4\nnot good at all ||| 0\n');

/** Nothing of the secret file: its text, its size in bytes, in floats, or its name. */
function expectNoLeak(text: string): void {
  expect(text).not.toContain('TOP-SECRET');
  expect(text).not.toMatch(new RegExp(`\\b(${SECRET_TEXT.length}|${SECRET_TEXT.length / 4})\\b`));
  expect(text).not.toContain(cwd);
}

describe('the attack is real', () => {
  it('onnxruntime given the crafted bytes reads the embedding table from its working directory', async () => {
    // A plain script, no highway-onnx code: onnxruntime-node alone, run twice in a directory
    // whose secret.txt changes between runs. Different logits prove the file was read.
    const script = join(cwd, 'ort-direct.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
const ort = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('onnxruntime-node');
const bytes = readFileSync('model.onnx');
const logits = [];
for (const text of ['${'A'.repeat(SECRET_TEXT.length)}', '${'z'.repeat(SECRET_TEXT.length)}']) {
  writeFileSync('secret.txt', text);
  const s = await ort.InferenceSession.create(new Uint8Array(bytes));
  const out = await s.run({ ids: new ort.Tensor('int64', BigInt64Array.from([2n]), [1, 1]), lengths: new ort.Tensor('int32', Int32Array.from([1]), [1]) });
  logits.push(Array.from(out.logits.data));
}
writeFileSync('secret.txt', ${JSON.stringify(SECRET_TEXT)});
console.log(JSON.stringify(logits));
`,
    );
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let s = '';
      child.stdout.on('data', (c: Buffer) => (s += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`ort script exited ${code}`))));
    });
    const [a, b] = JSON.parse(out) as number[][];
    expect(a!.length).toBe(2);
    expect(a).not.toEqual(b);
  }, 60_000);
});

describe('refused wherever a tensor can point outside the file', () => {
  it.each(crafted.map((c) => [c.what, c.bytes] as const))('%s: E_EXTERNAL_DATA from decoding, vetting and loadModel', async (what, bytes) => {
    // The walker finds it (with its place) only when decoding is told to keep such tensors.
    const found = externalTensors(decodeModel(bytes, { allowExternalData: true }));
    expect(found.length).toBeGreaterThan(0);
    for (const attempt of [() => decodeModel(bytes), () => vetClassifierModel(bytes), () => web.modelInfoFromBytes(bytes)]) {
      let err: unknown;
      try {
        attempt();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ExternalDataError);
      expect((err as ExternalDataError).code).toBe('E_EXTERNAL_DATA');
      expect((err as Error).message).toMatch(/^the model is not self-contained: .* keeps its data in an external file \((location "secret\.txt"|no location)\)/);
      expectNoLeak((err as Error).message);
    }
    const e = await rejection(loadModel(bytes, { device: 'cpu' }));
    expect(e.code).toBe('E_EXTERNAL_DATA');
    expect(what.length).toBeGreaterThan(0);
  });

  it('loadModel(path) in Node refuses before onnxruntime sees the bytes', async () => {
    const e = await rejection(loadModel(model, { device: 'cpu' }));
    expect(e).toBeInstanceOf(ExternalDataError);
    expectNoLeak(e.message);
  });

  it('the browser entry (src/web, onnxruntime-web) refuses every crafted model before onnxruntime-web loads; its vetting accepts the clean one', async () => {
    for (const c of crafted) {
      const e = await rejection(web.loadModel(c.bytes, { device: 'wasm' }));
      expect(e.code, c.what).toBe('E_EXTERNAL_DATA');
      expectNoLeak(e.message);
    }
    // (The full browser load of a clean model runs in Chromium: src/web/browser.test.ts.)
    expect(web.modelInfoFromBytes(modelBytes).labels).toHaveLength(2);
  });
});

describe('every command refuses it with one coded line and leaks nothing', () => {
  const expectRefused = (r: { code: number | null; stdout: string; stderr: string }): void => {
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^highway-onnx: \[E_EXTERNAL_DATA\] the model is not self-contained: initializer 'embedding\.weight' keeps its data in an external file/);
    expectNoLeak(r.stdout + r.stderr);
  };

  it.each([
    ['predict --gates', ['predict', '--model', 'model.onnx', '--gates', 'a gripping film']],
    ['predict (package.json)', ['predict', '--model', 'pkg.onnx', 'a gripping film']],
    ['eval', ['eval', '--model', 'model.onnx', '--file', 'dev.txt']],
    ['import-onnx', ['import-onnx', '--model', 'model.onnx', '--out', 'imported']],
    ['export-torch', ['export-torch', '--model', 'model.onnx', '--out', 'w.safetensors']],
    ['export-text', ['export-text', '--model', 'model.onnx', '--out', 'text.onnx']],
  ])('%s', async (_, args) => {
    expectRefused(await runCliIn(cwd, args));
    for (const out of ['imported', 'w.safetensors', 'text.onnx']) expect(existsSync(join(cwd, out))).toBe(false);
  }, 60_000);

  it('inspect describes the model without reading the file it names, and says the weights were not read', async () => {
    for (const json of [false, true]) {
      const r = await runCliIn(cwd, ['inspect', 'model.onnx', ...(json ? ['--json'] : [])]);
      expect(r.code, r.stderr).toBe(0);
      expectNoLeak(r.stdout + r.stderr);
      if (json) expect(JSON.parse(r.stdout)).toMatchObject({ externalData: { read: false, tensors: 1, files: ['secret.txt'] }, nonFinite: [], digest: { state: 'not read' } });
      else expect(r.stdout).toMatch(/weights {5}NOT READ: 1 tensor\(s\) keep their data in external file\(s\) "secret\.txt"; their values were not checked/);
    }
  }, 60_000);

  it('serve refuses to start: exit 1, one coded line, nothing listening on its port', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    expectRefused(await runCliIn(cwd, ['serve', '--model', 'model.onnx', '--host', '127.0.0.1', '--port', String(port)]));
    const refused = await new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.on('connect', () => {
        sock.destroy();
        resolve('connected');
      });
      sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  }, 60_000);
});
