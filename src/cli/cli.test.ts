// The `highway-onnx` command: bad stdin text, every failure as one line
// `highway-onnx: [CODE] message` with a non-zero exit (stack only with --verbose), `--device`
// on the commands that run a model, and `inspect`. A few cases run it as a child process, as a
// user does; the rest run runCli in this process (same code, no process start-up per case:
// process.exit, stdout, stderr and stdin are intercepted).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcess, type Result } from '../../test/cli/in-process.js';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { countParams, initParams } from '../models/init.js';
import { train } from '../train/trainer.js';
import { builtinDataset } from '../data/builtin.js';
import { config, modelBytes } from '../../test/serve/helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'model.onnx');
const nanModel = join(dir, 'nan.onnx');
const run = join(dir, 'run');


// At most a few CLI processes at once: each starts Node, tsx and onnxruntime.
let running = 0;
const waiting: (() => void)[] = [];
async function cli(args: string[], stdin?: string | Uint8Array): Promise<Result> {
  if (running >= 3) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await spawnCli(args, stdin);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function spawnCli(args: string[], stdin?: string | Uint8Array): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => undefined); // the command may stop reading early (that is the point)
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr: stderr.replace(/^Warning: Couldn't load Vulkan.*\n.*\n\n?/m, '') }));
    if (stdin !== undefined) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

const rows = (r: Result): Record<string, unknown>[] => r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const oneLine = (r: Result): string => {
  const lines = r.stderr.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line on stderr, found ${lines.length}:\n${r.stderr}`);
  return lines[0]!;
};

beforeAll(async () => {
  writeFileSync(model, modelBytes);
  const m = decodeModel(modelBytes);
  const t = m.graph!.initializer!.find((x) => x.name === 'layer2.bilstm.W')!;
  const f = new Float32Array(t.rawData!.slice().buffer);
  f[3] = NaN;
  t.rawData = new Uint8Array(f.buffer);
  writeFileSync(nanModel, encodeModel(m));
  writeFileSync(join(dir, 'truncated.onnx'), modelBytes.subarray(0, 1000));
  writeFileSync(join(dir, 'labels.txt'), 'a gripping film ||| 4\nnot good at all ||| 0\n');
  mkdirSync(run, { recursive: true });
  await train({ out: run, dataset: builtinDataset({ trainSize: 48, devSize: 16, testSize: 0 }), epochs: 1, batchSize: 16, seed: 2, progress: false, log: () => undefined, model: { layers: 1, embedDim: 8, hidden: 4 } });
}, 60_000);

describe.concurrent('as a child process', { timeout: 60_000 }, () => {
  it('predict: non-UTF-8 stdin — the lines before it are scored, then one line names the bad line and byte, exit 1', async ({ expect }) => {
    const r = await cli(['predict', '-m', model], Buffer.concat([Buffer.from('wonderful\nnot good\ncaf'), Buffer.from([0xe9]), Buffer.from(' au lait\nlast\n')]));
    expect(r.code).toBe(1);
    expect(rows(r).map((x) => x.line)).toEqual([1, 2]);
    expect(oneLine(r)).toBe('highway-onnx: [E_INPUT_ENCODING] stdin line 3 is not valid UTF-8 (bad byte 0xe9 at byte 4 of the line); convert the input to UTF-8 (e.g. iconv -f latin1 -t utf-8)');
  });

  it('a failure is one line and exit 1; --verbose adds the stack', async ({ expect }) => {
    const [plain, verbose] = await Promise.all([
      cli(['predict', '-m', '/nonexistent/model.onnx', 'x']),
      cli(['--verbose', 'predict', '-m', '/nonexistent/model.onnx', 'x']),
    ]);
    expect(plain.code).toBe(1);
    expect(oneLine(plain)).toBe("highway-onnx: [E_MODEL_LOAD] cannot read model file '/nonexistent/model.onnx': ENOENT");
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^highway-onnx: \[E_MODEL_LOAD\] cannot read model file.*\nModelLoadError: cannot read model file.*\n\s+at /);
  });

});

describe('predict reads stdin strictly', () => {
  it('skips blank lines, accepts CRLF, and numbers each row by its input line', async () => {
    const r = await inProcess(['predict', '-m', model], 'a gripping film\n\n   \nnot good at all\r\nwonderful');
    expect(r.code).toBe(0);
    expect(rows(r).map((x) => [x.line, x.text])).toEqual([[1, 'a gripping film'], [4, 'not good at all'], [5, 'wonderful']]);
    for (const x of rows(r)) expect(x.probs).toHaveLength(2); // one per label, in label order
  });

  it('a huge line is refused as soon as it passes --max-chars, after the lines before it are scored', async () => {
    const r = await inProcess(['predict', '-m', model, '--max-chars', '1000'], `wonderful\n${'x'.repeat(8 << 20)}`);
    expect(r.code).toBe(1);
    expect(rows(r).map((x) => x.line)).toEqual([1]);
    expect(oneLine(r)).toMatch(/^highway-onnx: \[E_INPUT_TOO_LONG\] stdin line 2 is too long: the limit is 1000 characters \(--max-chars\), found (more than 4000 bytes so far|\d+ bytes)$/);
  });

  it('a line of 1000 emoji passes a 1000-character limit (characters, not bytes)', async () => {
    const r = await inProcess(['predict', '-m', model, '--max-chars', '1000'], `${'😀'.repeat(1000)}\n`);
    expect(r.code).toBe(0);
    expect(rows(r)).toHaveLength(1);
  });

  it('empty stdin is no texts: no output, exit 0; an empty argument scores as <unk>, flagged empty', async () => {
    expect(await inProcess(['predict', '-m', model], '')).toEqual({ code: 0, stdout: '', stderr: '' });
    const e = await inProcess(['predict', '-m', model, '']);
    expect(e.code).toBe(0);
    expect(rows(e)[0]).toMatchObject({ text: '', empty: true });
  });
});

describe('failures are one line with a code and a non-zero exit', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['missing model', ['predict', '-m', '/nonexistent/model.onnx', 'x'], 1, /^highway-onnx: \[E_MODEL_LOAD\] cannot read model file '\/nonexistent\/model\.onnx': ENOENT$/],
    ['truncated model', ['predict', '-m', join(dir, 'truncated.onnx'), 'x'], 1, /^highway-onnx: \[E_ONNX_FORMAT\] not a valid ONNX model \(protobuf decoding failed after reading 1000 bytes/],
    ['NaN weights (predict)', ['predict', '-m', nanModel, 'x'], 1, /^highway-onnx: \[E_MODEL_WEIGHTS\] the model's weights are not finite: weight 'layer2\.bilstm\.W' \[2,12,6\] holds 1 NaN value\(s\) \(first at flat index 3\)/],
    ['NaN weights (serve refuses to start)', ['serve', '-m', nanModel, '--port', '0'], 1, /^highway-onnx: \[E_MODEL_WEIGHTS\] the model's weights are not finite/],
    ['predict --device cuda', ['predict', '-m', model, '--device', 'cuda', 'x'], 1, /^highway-onnx: \[E_DEVICE_UNAVAILABLE\] device 'cuda' is not available in this onnxruntime build; available: cpu.*npx highway-onnx setup cuda/],
    ['serve --device cuda', ['serve', '-m', model, '--device', 'cuda', '--port', '0'], 1, /^highway-onnx: \[E_DEVICE_UNAVAILABLE\] device 'cuda'/],
    ['eval --device cuda', ['eval', '-m', model, '--file', join(dir, 'labels.txt'), '--device', 'cuda'], 1, /^highway-onnx: \[E_DEVICE_UNAVAILABLE\] device 'cuda'/],
    ['missing option', ['predict'], 2, /^highway-onnx: \[E_USAGE\] required option '-m, --model <file>' not specified \(see 'highway-onnx predict --help'\)$/],
    ['unknown command', ['nosuch'], 2, /^highway-onnx: \[E_USAGE\] unknown command 'nosuch' \(see 'highway-onnx --help'\)$/],
    ['unknown device', ['predict', '-m', model, '--device', 'tpu', 'x'], 2, /^highway-onnx: \[E_USAGE\] option '--device <device>' argument 'tpu' is invalid\. Allowed choices are auto, cpu, cuda, webgpu\. \(see 'highway-onnx predict --help'\)$/],
    ['unknown option', ['serve', '-m', model, '--max-batchh', '3'], 2, /^highway-onnx: \[E_USAGE\] unknown option '--max-batchh' \(Did you mean --max-batch\?\) \(see 'highway-onnx serve --help'\)$/],
    ['bad number', ['serve', '-m', model, '--max-wait-ms', '-1'], 2, /^highway-onnx: \[E_USAGE\] option '--max-wait-ms <ms>' argument '-1' is invalid\. expected a number ≥ 0, found '-1'/],
    ['argument too long', ['predict', '-m', model, '--max-chars', '5', 'wonderful'], 1, /^highway-onnx: \[E_INPUT_TOO_LONG\] text argument 1 is too long: the limit is 5 characters \(--max-chars\), found 9$/],
    ['inspect a missing path', ['inspect', join(dir, 'nope.onnx')], 1, /^highway-onnx: \[E_INSPECT\] cannot inspect '.*nope\.onnx': no such file or directory$/],
    ['inspect a non-model', ['inspect', join(dir, 'labels.txt')], 1, /^highway-onnx: \[E_ONNX_FORMAT\] /],
  ];
  it.for(cases)('%s', async ([, args, code, line]) => {
    const r = await inProcess(args);
    expect(r.code).toBe(code);
    expect(oneLine(r)).toMatch(line);
    expect(r.stdout).toBe('');
  });

  it('train --device cuda fails before training starts', async () => {
    const r = await inProcess(['train', '--device', 'cuda', '--out', join(dir, 'cuda-run'), '--epochs', '1', '--layers', '1', '--hidden', '4', '--embed-dim', '8', '--no-progress', '--max-steps', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^highway-onnx: \[E_DEVICE_UNAVAILABLE\] device 'cuda'/);
  });
});

describe('inspect', () => {
  it('an .onnx model: format, inputs/outputs, classifier, layers, parameters, weight health', async () => {
    const r = await inProcess(['inspect', model]);
    expect(r.code).toBe(0);
    const t = r.stdout;
    expect(t).toContain('format      ONNX IR version 8, opset ai.onnx 17, producer highway-onnx 0.1.0');
    expect(t).toContain('inputs      ids int64 [batch, time]; lengths int32 [batch]');
    expect(t).toContain('outputs     logits float32 [batch, 2]; probs float32 [batch, 2]; gates float32 [batch, 2, time]');
    expect(t).toMatch(/classifier {2}Highway BiLSTM, 2 layer\(s\), carry projection \(layer 1\), gate bias -1; hidden 3\/direction/);
    expect(t).toContain('labels      negative, positive');
    expect(t).toMatch(new RegExp(`vocabulary  ${config.vocabSize} tokens`));
    expect(t).toMatch(/\n {4}layer1 +\d+ {2}bilstm\.W \[2, 12, 6\], bilstm\.R \[2, 12, 3\]/);
    expect(t).toContain('weights     all finite');
    expect(t).toContain('check       passes the structural check');
  });

  it('--json: the same report as data; the parameter count is the model’s', async () => {
    const r = await inProcess(['inspect', '--json', model]);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kind: 'onnx', irVersion: 8, opsets: [{ domain: 'ai.onnx', version: 17 }], nodes: expect.any(Number), problems: [], nonFinite: [] });
    expect(j.parameters).toBe(countParams(initParams(config)));
    expect(j.classifier.config).toMatchObject({ kind: 'highway', layers: 2, hidden: 3, embedDim: 6 });
    expect(j.classifier.vocabSize).toBe(config.vocabSize);
    expect(j.layers.map((l: { name: string }) => l.name)).toEqual(['embedding', 'layer1', 'layer2', 'output', '(constants)']);
  });

  it('a NaN model is reported, not refused', async () => {
    const r = await inProcess(['inspect', nanModel]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("weights     NOT FINITE: layer2.bilstm.W (1 NaN, 0 inf)");
  });

  it('a training run directory, its artifact.json and its checkpoint', async () => {
    const d = await inProcess(['inspect', run]);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/\(training run: .*artifact\.json.*checkpoint\.safetensors.*model\.onnx/);
    expect(d.stdout).toMatch(/ {2}artifact\.json\n {4}format {6}highway-onnx-artifact\/1/);
    expect(d.stdout).toMatch(/train step {2}train_step\.onnx: [\d,]+ nodes/);
    expect(d.stdout).toMatch(/checkpoint\.safetensors: \d+ tensor\(s\), [\d,]+ values, step \d+, epoch 2, best dev accuracy \d+\.\d\d%/);
    expect(d.stdout).toMatch(/metrics\.jsonl: 1 epoch\(s\), last dev accuracy/);
    const a = JSON.parse((await inProcess(['inspect', '--json', join(run, 'artifact.json')])).stdout);
    expect(a).toMatchObject({ kind: 'artifact', format: 'highway-onnx-artifact/1', config: { layers: 1, hidden: 4 }, optimizer: { kind: 'adam' } });
    expect(a.params.tensors).toBeGreaterThan(0);
    const c = JSON.parse((await inProcess(['inspect', '--json', join(run, 'checkpoint.safetensors')])).stdout);
    expect(c).toMatchObject({ kind: 'weights', format: 'safetensors', metadata: { format: 'highway-onnx-checkpoint/1' }, position: { epoch: 1 } });
  });
});
