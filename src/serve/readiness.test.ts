// Readiness for rolling replicas (issue 17 item 6): `serve` listens before its model is loaded,
// answers /healthz 503 {"status":"loading"} (and predictions 503 with Retry-After) until the model
// is vetted and serving, then 200; while draining, /healthz is 503 {"status":"draining"}. The model
// is read from a named pipe, so the load lasts exactly until the test writes the model into it (a
// model file on a slow volume), with no timing guess.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { metrics, modelBytes, parseResponses, predict, send } from '../../test/serve/helpers.js';
import { firstAnswer, startServe } from '../../test/serve/process.js';

const dir = mkdtempSync(join(tmpdir(), 'serve-ready-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fifo(name: string): string {
  const p = join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
}

describe('serve: readiness', () => {
  it('/healthz is 503 loading while the model loads, 200 once it serves, 503 draining after SIGTERM', async () => {
    const model = fifo('slow.onnx');
    const s = await startServe(model, ['--max-wait-ms', '1']);
    const first = await firstAnswer(s.url);
    expect(first.status).toBe(503);
    expect(first.json()).toEqual({ status: 'loading' });
    expect(first.headers['retry-after']).toBe('1');
    const p = await predict(s.url, { texts: ['wonderful'] });
    expect(p.status).toBe(503);
    expect(p.headers['retry-after']).toBe('1');
    expect(p.json().error.code).toBe('E_LOADING');
    expect((await metrics(s.url)).get('highway_model_generation')).toBe(0);
    const head = await send(s.url, { method: 'HEAD', path: '/healthz' });
    expect([head.status, head.body]).toEqual([503, '']);

    // Poll as an orchestrator would while the model arrives: 503s, then only 200s.
    const seen: number[] = [];
    const written = writeFile(model, modelBytes);
    for (let i = 0; i < 400 && seen.at(-1) !== 200; i++) {
      seen.push((await send(s.url, { path: '/healthz' })).status);
      await new Promise((r) => setTimeout(r, 25));
    }
    await written;
    expect(seen.at(-1)).toBe(200);
    expect(seen.slice(0, seen.indexOf(200)).every((x) => x === 503)).toBe(true);
    const ok = await send(s.url, { path: '/healthz' });
    expect(ok.json()).toMatchObject({ status: 'ok', model: { labels: ['negative', 'positive'], generation: 1 } });
    expect((await predict(s.url, { texts: ['wonderful'] })).status).toBe(200);
    await s.waitFor(/serving .* at http:\/\/127\.0\.0\.1:\d+ .*keep-alive 65000 ms, max connections \d+\n/);

    // A probe whose request is on its way when SIGTERM arrives (headers half sent) is answered
    // 503 draining, with Connection: close.
    const u = new URL(s.url);
    const probe = connect(Number(u.port), u.hostname);
    const received: Buffer[] = [];
    probe.on('data', (c: Buffer) => received.push(c));
    const closed = new Promise<void>((r) => probe.on('close', () => r()));
    await new Promise<void>((r) => probe.on('connect', () => r()));
    probe.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((r) => setTimeout(r, 100));
    s.child.kill('SIGTERM');
    await s.waitFor(/SIGTERM: finishing requests in flight/);
    probe.write('\r\n');
    await closed;
    const [draining, ...more] = parseResponses(Buffer.concat(received).toString('latin1'));
    expect(more).toEqual([]);
    expect(draining!.status).toBe(503);
    expect(draining!.headers.connection).toBe('close');
    expect(JSON.parse(draining!.body)).toEqual({ status: 'draining' });
    expect(await s.exit).toBe(0);
  }, 60_000);

  it('SIGTERM while the model is still loading stops without waiting for the load; exit 0', async () => {
    const model = fifo('never.onnx');
    const s = await startServe(model);
    expect((await firstAnswer(s.url)).json()).toEqual({ status: 'loading' });
    s.child.kill('SIGTERM');
    await s.waitFor(/highway-onnx: stopped\n/);
    // The read blocked in the kernel (a pipe nobody writes) holds the thread that makes it, and a
    // process waits for its threads when it exits: closing the pipe's other end releases it.
    await writeFile(model, '');
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toMatch(/SIGTERM: finishing requests in flight, then stopping .*\nhighway-onnx: stopped\n$/);
  }, 60_000);
});
