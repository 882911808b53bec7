// §8 of issue 10: every failure a user can cause ends as one coded, readable line. `inspect` on a
// weights file its reader refuses reports that reader's error (never a fake ONNX report); text
// from a file never reaches the terminal raw; onnxruntime's messages lose their C++ source paths
// and signatures; onnxruntime failures during training and fine-tuning carry a code.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/proto.js';
import { stampDigest } from '../onnx/digest.js';
import { MAX_HEADER_BYTES } from '../formats/safetensors.js';
import { ortMessage } from './ort-errors.js';
import { ModelRunError } from './errors.js';
import { buildStepGraphs } from '../train/step-graph.js';
import { TrainSession } from '../train/node-runtime.js';
import { optimizerState } from '../optim/index.js';
import { allocate } from '../onnx/tensor.js';
import { initParams } from '../models/init.js';
import { padBatch } from '../data/batches.js';
import { openImportedRunner } from '../train/finetune/runner.js';
import { config, modelBytes } from '../../test/serve/helpers.js';
import { runCliIn } from '../../test/security/cli-process.js';

ort.env.logLevel = 'fatal';
const dir = mkdtempSync(join(tmpdir(), 'clear-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Characters that act on a terminal: C0 (but tab and newline), DEL, C1, bidi controls. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CPP = /\.(?:cc|cpp|h|hpp):\d+|onnxruntime_src|onnxruntime::|std::/;

function oneCodedLine(r: { code: number | null; stdout: string; stderr: string }, code: string): string {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^highway-onnx: \\[${code}\\] `));
  expect(lines[0]).not.toMatch(RAW_CONTROL);
  return lines[0]!;
}

function edited(name: string, edit: (m: ModelProto) => void): string {
  const m = decodeModel(modelBytes);
  edit(m);
  writeFileSync(join(dir, name), encodeModel(stampDigest(m)));
  return name;
}

describe('inspect on a weights file its reader refuses', () => {
  it('a safetensors header 1 byte over the limit: the limit error, exit 1, no ONNX report (named .safetensors, and unnamed)', async () => {
    // A sparse file: the u64 length, '{', then zeros up to the claimed length.
    for (const name of ['over.safetensors', 'over.bin']) {
      const fd = openSync(join(dir, name), 'w');
      const head = Buffer.alloc(9);
      head.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES + 1), 0);
      head[8] = 0x7b;
      writeSync(fd, head);
      ftruncateSync(fd, 8 + MAX_HEADER_BYTES + 1);
      closeSync(fd);
      const line = oneCodedLine(await runCliIn(dir, ['inspect', name]), 'E_SAFETENSORS');
      expect(line).toContain(`header length ${MAX_HEADER_BYTES + 1} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    }
  }, 60_000);

  it('a header length 1 byte past the end of the file', async () => {
    const header = Buffer.from('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const b = Buffer.alloc(8 + header.length + 4);
    b.writeBigUInt64LE(BigInt(header.length + 4 + 1), 0);
    header.copy(b, 8);
    writeFileSync(join(dir, 'past.safetensors'), b);
    const line = oneCodedLine(await runCliIn(dir, ['inspect', 'past.safetensors', '--json']), 'E_SAFETENSORS');
    expect(line).toMatch(/runs past the end of the file/);
  }, 60_000);
});

describe('control characters from a file are escaped', () => {
  const evil = '\u001b[2J\u001b]0;pwned\u0007\rfake line\u202eevil\u0085';
  const name = edited('evil.onnx', (m) => {
    m.metadataProps!.push({ key: 'note\u001b[31m', value: evil });
    m.docString = `doc ${evil}`;
  });

  it('inspect (text): escapes shown, no raw control character on stdout', async () => {
    const r = await runCliIn(dir, ['inspect', name]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain('note\\x1b[31m = \\x1b[2J\\x1b]0;pwned\\x07\\rfake line\\u202eevil\\x85');
  }, 60_000);

  it('inspect --json: valid JSON that parses back to the exact text, with no raw control character', async () => {
    const r = await runCliIn(dir, ['inspect', name, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const report = JSON.parse(r.stdout) as { metadata: Record<string, string>; doc: string };
    expect(report.metadata['note\u001b[31m']).toBe(evil);
    expect(report.doc).toBe(`doc ${evil}`);
  }, 60_000);

  it('an error line quoting a path with control characters escapes them', async () => {
    const line = oneCodedLine(await runCliIn(dir, ['predict', '--model', 'no\u001b[2Jsuch\r.onnx', 'text']), 'E_MODEL_LOAD');
    expect(line).toContain("'no\\x1b[2Jsuch\\r.onnx'");
  }, 60_000);
});

describe("onnxruntime's messages without C++ source paths", () => {
  it('ortMessage keeps the explanation of real onnxruntime errors and drops locations and signatures', async () => {
    const cases: [(m: ModelProto) => void, RegExp][] = [
      [(m) => (m.irVersion = 99), /^Unsupported model IR version: 99, max supported IR version: \d+$/],
      [(m) => (m.opsetImport![0]!.version = 99), /^ONNX Runtime only \*guarantees\* support for models stamped with official released onnx opset versions/],
    ];
    for (const [edit, expected] of cases) {
      const m = decodeModel(modelBytes);
      edit(m);
      const raw = await ort.InferenceSession.create(encodeModel(m)).then(() => null, (e: Error) => e);
      expect(raw!.message).toMatch(CPP); // onnxruntime's own message has them…
      expect(ortMessage(raw)).toMatch(expected); // …ours does not
      expect(ortMessage(raw)).not.toMatch(CPP);
    }
  });

  it.each([
    ['predict, unsupported IR version', ['predict', '--model', edited('ir99.onnx', (m) => (m.irVersion = 99)), 'a gripping film'], /Unsupported model IR version: 99/],
    ['eval, unsupported opset', ['eval', '--model', edited('opset99.onnx', (m) => (m.opsetImport![0]!.version = 99)), '--file', 'dev.txt'], /Opset 99 is under development|guarantees/],
  ])('%s: one E_MODEL_LOAD line, no C++ path', async (_, args, expected) => {
    writeFileSync(join(dir, 'dev.txt'), 'a gripping film ||| 4\nnot good at all ||| 0\n');
    const line = oneCodedLine(await runCliIn(dir, args as string[]), 'E_MODEL_LOAD');
    expect(line).toMatch(expected as RegExp);
    expect(line).not.toMatch(CPP);
  }, 60_000);

  it('an uncoded onnxruntime error reaching the CLI gets E_ONNXRUNTIME and loses its C++ path', async () => {
    const script = join(dir, 'raw-ort.ts');
    writeFileSync(script, `import { reportAndExit } from ${JSON.stringify(join(process.cwd(), 'src/cli/errors.ts'))};\nreportAndExit(new Error('/onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:359 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*) Failed to allocate memory for requested buffer of size 536870912'), false);\n`);
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd()).toBe('highway-onnx: [E_ONNXRUNTIME] onnxruntime failed: Failed to allocate memory for requested buffer of size 536870912');
  }, 60_000);
});

describe('raw system errors reaching the CLI', () => {
  it('a real ENOSPC (writing to /dev/full) ends as one E_IO line saying what happened', async () => {
    const script = join(dir, 'enospc.mts');
    writeFileSync(script, `import { writeFile } from 'node:fs/promises';\nimport { reportAndExit } from ${JSON.stringify(join(process.cwd(), 'src/cli/errors.ts'))};\nawait writeFile('/dev/full', 'x'.repeat(70000)).catch((e) => reportAndExit(e, false));\n`);
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd()).toBe('highway-onnx: [E_IO] no space left on device (ENOSPC) during write');
  }, 60_000);
});

describe('onnxruntime failures in training and fine-tuning carry a code', () => {
  // A token id outside the embedding table makes onnxruntime's Gather kernel fail: a real
  // kernel error, raised where a failed allocation on a huge batch would be.
  const bad = padBatch([[config.vocabSize + 5, 2]]);

  it('train: a failing training step is ModelRunError (E_MODEL_RUN) naming the step and batch', async () => {
    const optimizer = { kind: 'adam' as const, clipNorm: 5 };
    const params = initParams(config);
    const graphs = buildStepGraphs(config, optimizer, { params });
    const state = new Map(optimizerState(optimizer, graphs.params).map((s) => [s.name, allocate('float32', s.dims)]));
    const session = await TrainSession.create(graphs, params, state, { device: 'cpu' });
    const err = await session
      .step({ batch: bad, labels: BigInt64Array.of(1n), embeddingMask: new Float32Array(bad.time * config.embedDim).fill(1), outputMask: new Float32Array(2 * config.hidden).fill(1) }, { lr: 0.01, step: 1 })
      .then(() => null, (e: unknown) => e);
    await session.release();
    expect(err).toBeInstanceOf(ModelRunError);
    expect((err as ModelRunError).code).toBe('E_MODEL_RUN');
    expect((err as Error).message).toMatch(/^onnxruntime failed on training step 1 \(a batch of 1 sentence\(s\) of up to 2 tokens\): .*indices element out of data bounds/);
    expect((err as Error).message).not.toMatch(CPP);
  }, 60_000);

  it('finetune: a failing fine-tuning step is ModelRunError (E_MODEL_RUN)', async () => {
    const { runner } = await openImportedRunner(decodeModel(modelBytes), { optimizer: { kind: 'adam' } });
    const feeds = { ids: new ort.Tensor('int64', bad.ids, [1, bad.time]), lengths: new ort.Tensor('int32', bad.lengths, [1]) };
    const err = await runner.step({ feeds, labels: BigInt64Array.of(1n) }, { lr: 0.01, step: 1 }).then(() => null, (e: unknown) => e);
    await runner.release();
    expect((err as ModelRunError).code).toBe('E_MODEL_RUN');
    expect((err as Error).message).toMatch(/^onnxruntime failed on fine-tuning step 1 \(a batch of 1\): .*indices element out of data bounds/);
  }, 60_000);
});
