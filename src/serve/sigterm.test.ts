// `highway-onnx serve` as a real process: SIGTERM finishes the requests in flight (without
// waiting out max-wait), closes idle keep-alive connections, and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { modelBytes, partialPredict, predict, send, until } from '../../test/serve/helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'serve-sigterm-'));
const modelPath = join(dir, 'model.onnx');
writeFileSync(modelPath, modelBytes);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

export function spawnServe(args: string[]): { child: ChildProcess; url: Promise<string>; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'serve', '--model', modelPath, '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url, stderr: () => err, exit };
}

describe('serve: SIGTERM', () => {
  it('finishes queued requests at once, closes idle keep-alive sockets, exits 0, then refuses connections', async () => {
    const { child, url: pending, stderr, exit } = spawnServe(['--max-wait-ms', '5000', '--max-batch', '32']);
    const url = await pending;
    // An idle keep-alive connection must not keep the server alive.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await new Promise<void>((resolve, reject) => {
      request(new URL('/healthz', url), { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      }).on('error', reject).end();
    });
    // A slow client is mid-upload, so three complete requests wait in the batch queue for it
    // (max wait 5 s): at SIGTERM, four requests are in flight and none has been answered.
    const slow = partialPredict(url, ['dull']);
    await until(url, 'highway_inflight_requests', 2);
    const inflight = [predict(url, { texts: ['wonderful'] }), predict(url, { texts: ['a gripping film', 'not good at all'] }), predict(url, { texts: [''] })];
    await until(url, 'highway_queue_texts', 4);

    const t0 = performance.now();
    child.kill('SIGTERM');
    const replies = await Promise.all(inflight); // the queue leaves at once, without waiting out max-wait
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(replies.map((r) => r.json().predictions.length)).toEqual([1, 2, 1]);
    // The slow upload was in flight too: it is finished, not cut off.
    await new Promise((r) => setTimeout(r, 200));
    const late = await slow.finish();
    expect(late.status).toBe(200);
    expect(late.json().predictions).toHaveLength(1);
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(await exit).toBe(0);
    expect(stderr()).toMatch(/SIGTERM: finishing requests in flight/);
    expect(stderr()).toMatch(/highway-onnx: stopped\n$/);
    await expect(send(url, { path: '/healthz' })).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  }, 30_000);

  it('SIGTERM under load from 48 keep-alive clients: every request gets a complete 200, a 503 with Connection: close, or a refused connection', async () => {
    const { child, url: pending, exit, stderr } = spawnServe(['--max-wait-ms', '2', '--max-batch', '32', '--max-connections', '200']);
    const url = await pending;
    expect(stderr()).toMatch(/max connections 200\n/);
    let ok = 0;
    let unavailable = 0;
    let refused = 0;
    // A connection the kernel completed but Node had not yet accepted when the server stopped
    // listening is reset by the kernel (Linux resets a closed listener's backlog): a refusal at
    // the TCP level on a fresh connection, which the server never read. A reset on a reused
    // keep-alive connection would be a lost request, and fails the test.
    let resetBeforeAccept = 0;
    const lost: string[] = [];
    const body = JSON.stringify({ texts: ['a gripping film'] });
    const once = (agent: Agent): Promise<{ status: number; connection?: string; text: string }> =>
      new Promise((resolve, reject) => {
        const req = request(new URL('/v1/predict', url), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, text, ...(res.headers.connection ? { connection: res.headers.connection } : {}) }));
          res.on('error', reject);
        });
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'ECONNRESET' && !req.reusedSocket) e.code = 'ERESET_BEFORE_ACCEPT';
          reject(e);
        });
        req.end(body);
      });
    // Each client sends its next request as soon as the last is answered, on the same connection,
    // until the server refuses a new connection (or a request is lost: the test then fails).
    const client = async (): Promise<void> => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 20_000; i++) {
        try {
          const r = await once(agent);
          if (r.status === 200 && JSON.parse(r.text).predictions.length === 1) ok++;
          else if (r.status === 503 && r.connection === 'close' && JSON.parse(r.text).error.code === 'E_SHUTTING_DOWN') unavailable++;
          else lost.push(`${r.status} ${r.connection} ${r.text.slice(0, 80)}`);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
          if (code === 'ECONNREFUSED') refused++;
          else if (code === 'ERESET_BEFORE_ACCEPT') resetBeforeAccept++;
          else lost.push(code);
          break;
        }
      }
      agent.destroy();
    };
    const clients = Array.from({ length: 48 }, client);
    while (ok < 300) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    await Promise.all(clients);
    expect(lost).toEqual([]);
    expect(refused + resetBeforeAccept).toBe(48); // every client ended on a refused connection, none on a reset of a used one
    expect(ok).toBeGreaterThanOrEqual(300);
    expect(await exit).toBe(0);
    process.stderr.write(`SIGTERM under load: ${ok} answered, ${unavailable} refused with 503, ${refused} connections refused, ${resetBeforeAccept} reset before accept\n`);
  }, 60_000);

  it('a port already in use is one clear line and exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'serve', '--model', modelPath, '--port', String(port)], { cwd: ROOT });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => child.on('exit', r));
    blocker.close();
    expect(code).toBe(1);
    expect(err.trim()).toBe(`highway-onnx: [E_LISTEN] cannot listen on 127.0.0.1:${port}: the address is already in use`);
  }, 30_000);
});
