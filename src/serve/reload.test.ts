// Model reload (issue 18 item 5): SIGHUP loads the model file again, vets it and swaps it in while
// requests in flight finish on the model they started on; a bad file keeps the previous model
// serving with one coded log line; the idle keep-alive timeout is an option (default 65 s).
// Answers are checked against the two models run in-process by the library.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/proto.js';
import { loadModel } from '../runtime/node.js';
import type { Predictor } from '../runtime/predictor.js';
import { metrics, modelBytes, otherModelBytes, partialPredict, predict, send, until } from '../../test/serve/helpers.js';
import { startServe, type ServeProcess } from '../../test/serve/process.js';

const dir = mkdtempSync(join(tmpdir(), 'serve-reload-'));
const modelPath = join(dir, 'model.onnx');
/** Replaces the model file as a deployment would: a complete new file renamed over the old. */
function deploy(bytes: Uint8Array): void {
  writeFileSync(`${modelPath}.tmp`, bytes);
  renameSync(`${modelPath}.tmp`, modelPath);
}

const A_LABELS = ['negative', 'positive'];
const B_LABELS = ['bad', 'meh', 'good'];
const TEXTS = ['wonderful', 'a gripping film', 'not good at all', 'the plot is dull but the acting is great'];
let refA: Predictor;
let refB: Predictor;
let s: ServeProcess;

/** The reference probabilities of `text` under the model with these labels, by label name. */
async function reference(labels: string[], text: string): Promise<Record<string, number>> {
  const [p] = await (labels === A_LABELS ? refA : refB).predict([text]);
  return Object.fromEntries(labels.map((l, k) => [l, p!.probs[k]!]));
}

/** `got`: the response body; its first prediction is checked against `ref`, by label name. */
function expectScoredBy(labels: string[], text: string, got: { labels: string[]; predictions: { probs: number[] }[] }, ref: Record<string, number>): void {
  expect(got.labels, text).toEqual(labels);
  const probs = got.predictions[0]!.probs;
  expect(probs, text).toHaveLength(labels.length);
  labels.forEach((l, k) => expect(probs[k], `${text}: ${l}`).toBeCloseTo(ref[l]!, 6));
}

beforeAll(async () => {
  deploy(modelBytes);
  refA = await loadModel(modelBytes, { device: 'cpu' });
  refB = await loadModel(otherModelBytes, { device: 'cpu' });
  s = await startServe(modelPath, ['--max-wait-ms', '10000', '--max-batch', '32']);
  await s.waitFor(/serving .* at http/);
}, 30_000);
afterAll(async () => {
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
  await Promise.all([refA?.release(), refB?.release()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('serve: SIGHUP reloads the model', () => {
  it('requests queued at the reload are answered by the old model, later ones by the new', async () => {
    // A slow upload keeps three complete requests waiting for their batch (max wait 10 s).
    const slow = partialPredict(s.url, ['not good at all']);
    await until(s.url, 'highway_inflight_requests', 2);
    const queued = TEXTS.slice(0, 3).map((t) => predict(s.url, { texts: [t] }));
    await until(s.url, 'highway_queue_texts', 3);
    deploy(otherModelBytes);
    s.child.kill('SIGHUP');
    const tHup = performance.now();
    const replies = await Promise.all(queued);
    // Answered at the swap (the old model's queue leaves at once), not when max wait (10 s) ran out.
    expect(performance.now() - tHup).toBeLessThan(5000);
    for (const [i, r] of replies.entries()) {
      expect(r.status).toBe(200);
      expectScoredBy(A_LABELS, TEXTS[i]!, r.json(), await reference(A_LABELS, TEXTS[i]!));
    }
    await s.waitFor(/SIGHUP: reloaded .*model\.onnx \(generation 2: highway, 1 layer\(s\), labels bad\/meh\/good\) on cpu/);
    // The slow upload completed after the swap: the new model scores it.
    const late = await slow.finish();
    expect(late.status).toBe(200);
    expectScoredBy(B_LABELS, 'not good at all', late.json(), await reference(B_LABELS, 'not good at all'));
    const fresh = await predict(s.url, { texts: ['wonderful'] });
    expectScoredBy(B_LABELS, 'wonderful', fresh.json(), await reference(B_LABELS, 'wonderful'));
    expect((await send(s.url, { path: '/healthz' })).json().model).toMatchObject({ generation: 2, labels: B_LABELS, layers: 1 });
    const m = await metrics(s.url);
    expect(m.get('highway_model_generation')).toBe(2);
    expect(m.get('highway_model_reloads_total{result="ok"}')).toBe(1);
    expect([...m.keys()].filter((k) => k.startsWith('highway_model_info'))).toEqual(['highway_model_info{kind="highway",layers="1",labels="bad,meh,good",provider="cpu"}']);
  }, 30_000);

  it('under load from 16 keep-alive clients, a reload loses no request and each client sees old answers, then new ones', async () => {
    const body = JSON.stringify({ texts: ['a gripping film'] });
    const refs = { A: await reference(A_LABELS, 'a gripping film'), B: await reference(B_LABELS, 'a gripping film') };
    let answered = 0;
    let stop = false;
    const failures: string[] = [];
    const once = (agent: Agent): Promise<{ status: number; text: string }> =>
      new Promise((resolve, reject) => {
        const req = request(new URL('/v1/predict', s.url), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    // Each client records which model answered each of its requests ('B' = generation 2's labels, 'A' = after the next reload).
    const client = async (): Promise<string> => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      let seen = '';
      try {
        while (!stop) {
          const r = await once(agent);
          const p = r.status === 200 ? JSON.parse(r.text) : null;
          if (!p) {
            failures.push(`${r.status} ${r.text.slice(0, 100)}`);
            break;
          }
          const which = p.labels.includes('bad') ? 'B' : 'A';
          expectScoredBy(which === 'A' ? A_LABELS : B_LABELS, 'a gripping film', p, refs[which]);
          seen += which;
          answered++;
        }
      } catch (e) {
        failures.push((e as NodeJS.ErrnoException).code ?? (e as Error).message);
      } finally {
        agent.destroy();
      }
      return seen;
    };
    const clients = Array.from({ length: 16 }, client);
    while (answered < 200 && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
    deploy(modelBytes);
    s.child.kill('SIGHUP');
    await s.waitFor(/SIGHUP: reloaded .* \(generation 3: highway, 2 layer\(s\), labels negative\/positive\)/);
    const atSwap = answered;
    while (answered < atSwap + 200 && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    const seen = await Promise.all(clients);
    expect(failures).toEqual([]);
    for (const q of seen) expect(q).toMatch(/^B+A+$/); // never an old answer after a new one
    process.stderr.write(`reload under load: ${answered} requests answered by 16 clients, none lost\n`);
  }, 60_000);

  /** The model with one bit flipped in the lowest mantissa byte of its first weight (a tiny, finite change). */
  function bitFlipped(): Uint8Array {
    const b = Uint8Array.from(modelBytes);
    const w = decodeModel(modelBytes).graph!.initializer!.find((t) => (t.rawData?.length ?? 0) > 0)!;
    // protobufjs decodes bytes fields as views of the input: their offset is their place in the file.
    b[w.rawData!.byteOffset - modelBytes.byteOffset]! ^= 1;
    return b;
  }

  it.each([
    ['a truncated file', () => modelBytes.subarray(0, Math.floor(modelBytes.length / 2)), 'E_ONNX_FORMAT', 1],
    ['a bit flipped in a weight', bitFlipped, 'E_MODEL_DIGEST', 2],
  ])('%s is refused with one coded line; the previous model keeps serving', async (_, damaged, code, failures) => {
    const before = s.stderr();
    deploy(damaged());
    s.child.kill('SIGHUP');
    const [line] = await s.waitFor(/highway-onnx: \[E_[A-Z_]+\] SIGHUP: reload of .*\n/, before.length);
    expect(s.stderr().slice(before.length)).toBe(line); // one line, no stack
    expect(line).toMatch(new RegExp(`^highway-onnx: \\[${code}\\] SIGHUP: reload of \\S+model\\.onnx failed, still serving generation 3: \\S`));
    const r = await predict(s.url, { texts: ['wonderful'] });
    expect(r.status).toBe(200);
    expectScoredBy(A_LABELS, 'wonderful', r.json(), await reference(A_LABELS, 'wonderful'));
    const m = await metrics(s.url);
    expect(m.get('highway_model_generation')).toBe(3);
    expect(m.get('highway_model_reloads_total{result="failed"}')).toBe(failures);
    expect(s.child.exitCode).toBe(null);
  }, 30_000);

  it('the idle keep-alive timeout defaults to 65 s (a connection outlives Node\'s 5 s) and --keep-alive-ms sets it', async () => {
    writeFileSync(join(dir, 'short.onnx'), modelBytes);
    const short = await startServe(join(dir, 'short.onnx'), ['--keep-alive-ms', '1500']);
    await short.waitFor(/serving .* keep-alive 1500 ms/);
    const idle = async (url: string): Promise<{ keepAlive: string | undefined; again: (ms: number) => Promise<number | null> }> => {
      const u = new URL(url);
      const sock = connect(Number(u.port), u.hostname);
      let data = '';
      let closedAt: number | null = null;
      sock.on('data', (c: Buffer) => (data += c.toString('latin1')));
      sock.on('close', () => (closedAt = performance.now()));
      sock.on('error', () => undefined);
      sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      while (!/\r\n\r\n[\s\S]*\}$/.test(data)) await new Promise((r) => setTimeout(r, 10));
      const t0 = performance.now();
      const keepAlive = /\r\nkeep-alive: ([^\r]+)/i.exec(data)?.[1];
      return {
        keepAlive,
        // Waits `ms` idle, then sends a second request: the status it gets, or null when the server closed the connection.
        again: async (ms: number) => {
          await new Promise((r) => setTimeout(r, ms));
          if (closedAt !== null) {
            expect(closedAt - t0).toBeGreaterThan(1000);
            return null;
          }
          data = '';
          sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
          await new Promise<void>((r) => sock.on('close', () => r()));
          return Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
        },
      };
    };
    const [dflt, brief] = await Promise.all([idle(s.url), idle(short.url)]);
    expect(dflt.keepAlive).toBe('timeout=65');
    expect(brief.keepAlive).toBe('timeout=1');
    const [dfltStatus, briefStatus] = await Promise.all([dflt.again(6000), brief.again(6000)]);
    expect(dfltStatus).toBe(200); // still open after 6 s idle
    expect(briefStatus).toBe(null); // closed by the server after 1.5 s idle
    short.child.kill('SIGTERM');
    expect(await short.exit).toBe(0);
  }, 30_000);

  it('SIGTERM after the reloads: exit 0', async () => {
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toMatch(/highway-onnx: stopped\n$/);
  }, 30_000);
});
