// `serve` under abuse, over real loopback sockets: pipelined requests with errors among them,
// slow clients (408), a connection cap that keeps health probes working, overload shedding
// (503 + Retry-After, nothing lost) and fairness between a huge request and a short one.
// Every property is checked by order and by counts, never by wall time.
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { converse, metrics, parseResponses, predict, rawRequest, rigged, send, tinyPredictor, type Reply } from '../../test/serve/helpers.js';
import { inProcessServers } from '../../test/serve/in-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { start } = inProcessServers();

const valid = (text = 'wonderful'): string => rawRequest('POST', '/v1/predict', JSON.stringify({ texts: [text] }));

/** Polls /metrics until `name` equals `value` (the scrape itself counts 1 in flight); fails after ~3 s with the last value. */
async function settles(url: string, name: string, value: number): Promise<void> {
  let last: number | undefined;
  for (let i = 0; i < 150; i++) {
    last = (await metrics(url)).get(name);
    if (last === value) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${name} stayed at ${last}, expected ${value}`);
}

describe('serve: pipelined requests with an error among them', () => {
  it('[valid][body over the limit][valid]: 200 then 413 with Connection: close, in order; nothing leaks', async () => {
    // The first request is still being scored when the 413 is decided: its 200 must come first.
    const { predictor } = await rigged({ delayMs: 150 });
    const { url } = await start(predictor, { maxBodyBytes: 200, maxWaitMs: 1 });
    const over = rawRequest('POST', '/v1/predict', JSON.stringify({ texts: ['a'.repeat(300)] }));
    const replies = parseResponses(await converse(url, [valid() + over + valid('a gripping film')]));
    expect(replies.map((r) => r.status)).toEqual([200, 413]);
    expect(JSON.parse(replies[0]!.body).predictions).toHaveLength(1);
    expect(replies[0]!.headers.connection).toBe('keep-alive');
    expect(replies[1]!.headers.connection).toBe('close');
    expect(JSON.parse(replies[1]!.body).error.code).toBe('E_BODY_TOO_LARGE');
    await settles(url, 'highway_inflight_requests', 1);
  });

  it('[valid][garbage][valid]: the 200 comes first, then 400 and the connection closes', async () => {
    const { predictor } = await rigged({ delayMs: 150 });
    const { url } = await start(predictor, { maxWaitMs: 1 });
    const replies = parseResponses(await converse(url, [valid() + 'GARBAGE / HTTP/9.9\r\n\r\n' + valid()]));
    expect(replies.map((r) => r.status)).toEqual([200, 400]);
    expect(JSON.parse(replies[0]!.body).predictions[0].label).toMatch(/positive|negative/);
    expect(replies[1]!.headers.connection).toBe('close');
    // Two valid requests ahead of the garbage: both answered, in order.
    const two = parseResponses(await converse(url, [valid('wonderful') + valid('not good at all') + 'GARBAGE\r\n\r\n']));
    expect(two.map((r) => r.status)).toEqual([200, 200, 400]);
    expect(two.slice(0, 2).map((r) => JSON.parse(r.body).predictions[0].tokens)).toEqual([1, 4]);
    await settles(url, 'highway_inflight_requests', 1);
  });

  it('200 connections of [valid][over][valid] and [valid][garbage][valid]: every valid first request answered, the gauge returns to 0, no work for requests behind a closing response', async () => {
    const { predictor } = await rigged({ delayMs: 20 });
    const { url, server } = await start(predictor, { maxBodyBytes: 200, maxWaitMs: 1, maxBatch: 64 });
    const over = rawRequest('POST', '/v1/predict', JSON.stringify({ texts: ['a'.repeat(300)] }));
    const all = await Promise.all(
      Array.from({ length: 200 }, (_, i) => converse(url, [valid() + (i % 2 ? over : 'GARBAGE\r\n\r\n') + valid()], { timeoutMs: 15_000 })),
    );
    all.forEach((bytes, i) => expect(parseResponses(bytes).map((r) => r.status)).toEqual([200, i % 2 ? 413 : 400]));
    await settles(url, 'highway_inflight_requests', 1);
    const m = await metrics(url);
    expect(m.get('highway_texts_total')).toBe(200); // the third requests were never scored
    expect(m.get('highway_queue_texts')).toBe(0);
    // Nothing is left hanging: a graceful stop finishes without cutting anything.
    expect(await server.shutdown(10_000)).toEqual({ forced: false });
  }, 30_000);
});

describe('serve: slow clients get 408', () => {
  it('headers that do not arrive in time: 408 Request Timeout, not 400', async () => {
    const { url } = await start(await tinyPredictor(), { headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const bytes = await converse(url, ['POST /v1/predict HTTP/1.1\r\nHost: x\r\n']);
    expect(parseResponses(bytes).map((r) => [r.status, r.headers.connection])).toEqual([[408, 'close']]);
  });

  it('a body that does not arrive in time: a JSON 408 E_REQUEST_TIMEOUT, after the responses before it', async () => {
    const { url } = await start(await tinyPredictor(), { headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const partial = rawRequest('POST', '/v1/predict', '', { 'content-length': 50 }) + '{"texts": [';
    const replies = parseResponses(await converse(url, [valid() + partial]));
    expect(replies.map((r) => r.status)).toEqual([200, 408]);
    expect(JSON.parse(replies[1]!.body).error.code).toBe('E_REQUEST_TIMEOUT');
    expect(replies[1]!.headers.connection).toBe('close');
  });
});

describe('serve: connection cap', () => {
  it('the default cap leaves room under a 1,024 file-descriptor limit: 896', () => {
    const script = "import('./src/serve/connections.ts').then((m) => console.log(m.defaultMaxConnections()))";
    const r = spawnSync('bash', ['-c', `ulimit -n 1024 && exec "${process.execPath}" --import tsx -e "${script}"`], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('896');
  });

  /** A client that sends half a request and then nothing. */
  const slowClient = (url: string): Promise<{ socket: Socket; received: () => string }> => {
    const u = new URL(url);
    return new Promise((resolve) => {
      let got = '';
      const socket = connect(Number(u.port), u.hostname, () => {
        socket.write('POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n');
        resolve({ socket, received: () => got });
      });
      socket.on('data', (c) => (got += c.toString('latin1')));
      socket.on('error', () => undefined);
    });
  };

  it('slow clients filling the cap cannot lock out health probes: the stalest is closed with 408', async () => {
    const { url } = await start(await tinyPredictor(), { maxConnections: 6 });
    const slow = await Promise.all(Array.from({ length: 6 }, () => slowClient(url)));
    await new Promise((r) => setTimeout(r, 1100)); // older than the eviction threshold (1 s)
    const probes: Reply[] = await Promise.all(Array.from({ length: 4 }, () => send(url, { path: '/healthz' })));
    probes.push(await send(url, { path: '/healthz' }));
    expect(probes.map((p) => p.status)).toEqual([200, 200, 200, 200, 200]);
    await new Promise((r) => setTimeout(r, 100));
    // Each eviction answered its slow client with a 408 (and only slow clients were evicted).
    const evicted = slow.filter((s) => s.received().startsWith('HTTP/1.1 408 Request Timeout\r\n'));
    expect(evicted.length).toBeGreaterThanOrEqual(1);
    expect((await metrics(url)).get('highway_connections_shed{reason="evicted"}')).toBe(evicted.length);
    expect(slow.filter((s) => s.received() !== '').length).toBe(evicted.length);
    for (const s of slow) s.socket.destroy();
  });

  it('when every connection holds a complete request, a newcomer gets 503 with Retry-After, and the others are answered', async () => {
    const { predictor } = await rigged({ delayMs: 600 });
    const { url } = await start(predictor, { maxConnections: 3, maxBatch: 8, maxWaitMs: 0 });
    const busy = [0, 1, 2].map(() => predict(url, { texts: ['wonderful'] }));
    await new Promise((r) => setTimeout(r, 150));
    const refused = parseResponses(await converse(url, [rawRequest('GET', '/healthz')]));
    expect(refused.map((r) => [r.status, r.headers['retry-after'], r.headers.connection])).toEqual([[503, '1', 'close']]);
    expect((await Promise.all(busy)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await metrics(url)).get('highway_connections_shed{reason="refused"}')).toBe(1);
  });
});

describe('serve: overload', () => {
  it('shed requests get 503 E_OVERLOADED with Retry-After; every request is answered; the queue and gauge return to 0', async () => {
    const { predictor } = await rigged({ delayMs: 30 });
    const { url } = await start(predictor, { maxBatch: 4, maxWaitMs: 0, maxQueue: 8, queueTimeoutMs: 100 });
    const agent = new Agent({ keepAlive: true, maxSockets: 80 });
    const one = (): Promise<{ status: number; retry?: string | string[]; code?: string }> =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify({ texts: ['a gripping film'] });
        const req = request(new URL('/v1/predict', url), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, retry: res.headers['retry-after'], code: res.statusCode === 200 ? undefined : JSON.parse(text).error.code }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const replies = await Promise.all(Array.from({ length: 160 }, one));
    const ok = replies.filter((r) => r.status === 200);
    const shed = replies.filter((r) => r.status === 503);
    expect(ok.length + shed.length).toBe(160);
    expect(ok.length).toBeGreaterThanOrEqual(8);
    expect(shed.length).toBeGreaterThan(0);
    for (const r of shed) expect([r.retry, r.code]).toEqual(['1', 'E_OVERLOADED']);
    const m = await metrics(url);
    expect(m.get('highway_http_requests_total{route="/v1/predict",method="POST",status="200"}')).toBe(ok.length);
    expect(m.get('highway_http_requests_total{route="/v1/predict",method="POST",status="503"}')).toBe(shed.length);
    await settles(url, 'highway_inflight_requests', 1);
    expect((await metrics(url)).get('highway_queue_texts')).toBe(0);
    agent.destroy();
  });

  it('a request that finds the queue full waits for room, oldest first, instead of being refused at once', async () => {
    const { predictor, runs } = await rigged({ delayMs: 100 });
    const { url } = await start(predictor, { maxBatch: 1, maxWaitMs: 0, maxQueue: 1, queueTimeoutMs: 10_000 });
    const order: number[] = [];
    const replies = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        await new Promise((r) => setTimeout(r, 15 * i)); // arrive in this order
        const r = await predict(url, { texts: ['wonderful'] });
        order.push(i);
        return r.status;
      }),
    );
    expect(replies).toEqual([200, 200, 200, 200, 200]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(runs).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('serve: fairness and length grouping', () => {
  const long = (n: number): string => Array.from({ length: n }, (_, i) => ['the', 'plot', 'is', 'dull', 'but', 'great'][i % 6]).join(' ');

  it('a short request arriving while a huge one runs goes in the next batch, alone, not padded to the long texts', async () => {
    const { predictor, shapes } = await rigged({ delayMs: 60 });
    const { url } = await start(predictor, { maxBatch: 4, maxWaitMs: 0 });
    const order: string[] = [];
    const huge = predict(url, { texts: Array.from({ length: 16 }, () => long(300)) }).then((r) => (order.push('huge'), r));
    while (shapes.length === 0) await new Promise((r) => setTimeout(r, 5));
    const short = predict(url, { texts: ['wonderful'] }).then((r) => (order.push('short'), r));
    const [h, s] = await Promise.all([huge, short]);
    expect([h.status, s.status]).toEqual([200, 200]);
    // FIFO would run the huge request's 4 batches first; the short one waits only for the batch running.
    expect(shapes).toEqual([[4, 300], [1, 1], [4, 300], [4, 300], [4, 300]]);
    expect(order).toEqual(['short', 'huge']);
  });

  it('texts of one request are grouped by length, and every answer lands at its own index', async () => {
    const { predictor, shapes } = await rigged();
    const { url } = await start(predictor, { maxBatch: 4, maxWaitMs: 0 });
    const texts = [long(200), 'wonderful', long(180), 'not good at all', long(190), 'a gripping film'];
    const r = await predict(url, { texts });
    expect(shapes).toEqual([[3, 4], [3, 200]]); // not [4, 200] + [2, 200]
    const expected = await (await tinyPredictor()).predict(texts);
    r.json().predictions.forEach((p: { probs: number[]; tokens: number }, i: number) => {
      expect(p.probs[1]).toBeCloseTo(expected[i]!.probs[1]!, 6);
      expect(p.tokens).toBe(texts[i]!.split(' ').length);
    });
  });
});
