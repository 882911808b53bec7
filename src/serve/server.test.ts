// The HTTP server over real loopback sockets: answers, micro-batching seen through /metrics,
// limits and malformed requests (each a 4xx JSON error that leaves the server healthy),
// failure isolation, overload and graceful shutdown.
import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Predictor } from '../runtime/predictor.js';
import { metrics, partialPredict, predict, raw, rigged, send, tinyPredictor, until } from '../../test/serve/helpers.js';
import { inProcessServers } from '../../test/serve/in-process.js';

const { start } = inProcessServers();

const TEXTS = ['a gripping film', 'not good at all', 'the plot is dull but the acting is great , wonderful', 'wonderful'];

describe('serve: answers', () => {
  let url: string;
  let predictor: Predictor;
  beforeAll(async () => {
    predictor = await tinyPredictor();
    ({ url } = await start(predictor, { maxBatch: 32, maxWaitMs: 1, maxChars: 100_000 }));
  });

  it('POST /v1/predict gives labels, and per text the label and probabilities (in label order), equal to the library', async () => {
    const r = await predict(url, { texts: TEXTS });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    const expected = await predictor.predict(TEXTS);
    const { labels, predictions } = r.json();
    expect(labels).toEqual(predictor.labels);
    expect(predictions).toHaveLength(TEXTS.length);
    predictions.forEach((p: { label: string; probs: number[] }, i: number) => {
      expect(p.label).toBe(expected[i]!.label);
      // The same shape as the API's Prediction.probs: one number per label, in label order.
      expect(p.probs).toHaveLength(predictor.labels.length);
      p.probs.forEach((x, k) => expect(x).toBeCloseTo(expected[i]!.probs[k]!, 6));
    });
  });

  it('GET /healthz reports the model; HEAD works too', async () => {
    const r = await send(url, { path: '/healthz' });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', model: { kind: 'highway', layers: 2, labels: ['negative', 'positive'], provider: 'cpu' } });
    const h = await send(url, { method: 'HEAD', path: '/healthz' });
    expect(h.status).toBe(200);
    expect(h.body).toBe('');
  });

  it('unknown paths are 404 and wrong methods 405 with Allow, as JSON errors', async () => {
    const nf = await send(url, { path: '/v2/predict' });
    expect(nf.status).toBe(404);
    expect(nf.json().error).toMatchObject({ code: 'E_NOT_FOUND' });
    const get = await send(url, { path: '/v1/predict' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    expect(get.json().error.message).toMatch(/GET is not allowed on \/v1\/predict: use POST/);
    const post = await send(url, { method: 'POST', path: '/metrics', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
    const del = await send(url, { method: 'DELETE', path: '/healthz' });
    expect(del.status).toBe(405);
  });

  it('empty texts are flagged (scored as one <unk>), unknown words are counted, and sequences far longer than any in training work', async () => {
    const long = Array.from({ length: 4000 }, (_, i) => TEXTS[i % TEXTS.length]).join(' ');
    const r = await predict(url, { texts: ['', 'zzz qqq wonderful', long, 'wonderful'] });
    expect(r.status).toBe(200);
    const p = r.json().predictions;
    expect(p[0]).toMatchObject({ tokens: 0, unknown: 0, empty: true });
    expect(p[1]).toMatchObject({ tokens: 3, unknown: 2 });
    expect(p[1].empty).toBeUndefined();
    expect(p[1].allUnknown).toBeUndefined();
    expect(p[2].tokens).toBeGreaterThan(10_000);
    for (const x of p) for (const v of x.probs) expect(Number.isFinite(v)).toBe(true);
    const none = (await predict(url, { texts: ['zzz qqq'] })).json().predictions[0];
    expect(none).toMatchObject({ tokens: 2, unknown: 2, allUnknown: true });
    // The long neighbour's padding changes nothing for the short text (masking works at any length).
    const alone = (await predict(url, { texts: ['wonderful'] })).json().predictions[0];
    expect(p[3].probs[1]).toBeCloseTo(alone.probs[1], 6);
  });

  it('serves Prometheus text: requests by status, latency and batch-size histograms', async () => {
    const r = await send(url, { path: '/metrics' });
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toMatch(/# TYPE highway_http_requests_total counter/);
    expect(r.body).toMatch(/# TYPE highway_http_request_duration_seconds histogram/);
    expect(r.body).toMatch(/# TYPE highway_batch_size histogram/);
    const m = await metrics(url);
    expect(m.get('highway_http_requests_total{route="/v1/predict",method="POST",status="200"}')).toBeGreaterThanOrEqual(3);
    expect(m.get('highway_http_requests_total{route="other",method="GET",status="404"}')).toBe(1);
    expect(m.get('highway_http_requests_total{route="/v1/predict",method="GET",status="405"}')).toBe(1);
    // Histogram buckets are cumulative and end at the count.
    const buckets = [...m].filter(([k]) => k.startsWith('highway_batch_size_bucket')).map(([, v]) => v);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]!);
    expect(buckets.at(-1)).toBe(m.get('highway_batch_size_count'));
  });
});

describe('serve: micro-batching', () => {
  it('concurrent requests coalesce into one batch, and get the same answers as alone', async () => {
    const { predictor, runs } = await rigged();
    const { url } = await start(predictor, { maxBatch: 8, maxWaitMs: 5000 });
    const texts = Array.from({ length: 8 }, (_, i) => TEXTS[i % TEXTS.length]!.split(' ').slice(0, 1 + i).join(' '));
    // All eight are mid-upload before any completes, so each completed one waits for the rest.
    const held = texts.map((t) => partialPredict(url, [t]));
    await until(url, 'highway_inflight_requests', 9); // the eight, and this /metrics request
    const replies = await Promise.all(held.map((h) => h.finish()));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200));
    const m = await metrics(url);
    expect(m.get('highway_batch_size_count')).toBe(1);
    expect(m.get('highway_batch_size_sum')).toBe(8);
    expect(m.get('highway_batch_size_bucket{le="4"}')).toBe(0);
    expect(m.get('highway_batch_size_bucket{le="8"}')).toBe(1);
    // One predict() call of the eight; the Predictor cuts it into runs of similar lengths (run-plan.ts).
    expect(runs.reduce((a, b) => a + b, 0)).toBe(8);
    const alone = await (await tinyPredictor()).predict(texts);
    replies.forEach((r, i) => expect(r.json().predictions[0].probs[1]).toBeCloseTo(alone[i]!.probs[1]!, 6));
  });

  it('a lone request never waits; a queued one waits for a request still arriving, at most max-wait', async () => {
    const { predictor, runs } = await rigged();
    const { url } = await start(predictor, { maxBatch: 32, maxWaitMs: 300 });
    let t0 = performance.now();
    expect((await predict(url, { texts: ['wonderful'] })).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(250); // nobody else was arriving: no wait
    // B is mid-upload; A is complete and waits for B; B arrives within max-wait: one batch.
    const b = partialPredict(url, ['a gripping film']);
    await until(url, 'highway_inflight_requests', 2);
    const a = predict(url, { texts: ['not good at all'] });
    await new Promise((r) => setTimeout(r, 50));
    expect([(await b.finish()).status, (await a).status]).toEqual([200, 200]);
    expect(runs).toEqual([1, 2]);
    // B' stalls past max-wait: A' leaves alone after ~300 ms, B' later in its own batch.
    const slow = partialPredict(url, ['dull']);
    await until(url, 'highway_inflight_requests', 2);
    t0 = performance.now();
    expect((await predict(url, { texts: ['wonderful'] })).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    expect((await slow.finish()).status).toBe(200);
    expect(runs).toEqual([1, 2, 1, 1]);
  });

  it('a request larger than max-batch spans several runs, answers in order', async () => {
    const { predictor, runs } = await rigged();
    const { url } = await start(predictor, { maxBatch: 4, maxWaitMs: 5 });
    const ten = Array.from({ length: 10 }, (_, i) => TEXTS[i % TEXTS.length]!);
    const r = await predict(url, { texts: ten });
    expect(runs).toEqual([4, 4, 2]);
    const expected = await (await tinyPredictor()).predict(ten);
    r.json().predictions.forEach((p: { label: string }, i: number) => expect(p.label).toBe(expected[i]!.label));
  });

  it('max-wait 0 never waits: batches form only from what queued during a run', async () => {
    const { predictor, runs } = await rigged({ delayMs: 400 }); // ample time for the three to arrive on a busy machine
    const { url } = await start(predictor, { maxBatch: 32, maxWaitMs: 0 });
    const first = predict(url, { texts: ['wonderful'] });
    await new Promise((r) => setTimeout(r, 30));
    const rest = await Promise.all([1, 2, 3].map(() => predict(url, { texts: ['a gripping film'] })));
    expect((await first).status).toBe(200);
    expect(rest.every((r) => r.status === 200)).toBe(true);
    expect(runs).toEqual([1, 3]);
  });

  it('a failing input fails only its own request, not the others batched with it', async () => {
    const { predictor } = await rigged({ poisonToken: 'poison' });
    const { url } = await start(predictor, { maxBatch: 8, maxWaitMs: 5000 });
    const bodies = ['wonderful', 'poison pill', 'a gripping film', 'not good', 'the plot', 'at all', 'great', 'dull'];
    const replies = await Promise.all(bodies.map((t) => predict(url, { texts: [t] })));
    expect(replies.map((r) => r.status)).toEqual([200, 500, 200, 200, 200, 200, 200, 200]);
    expect(replies[1]!.json().error).toMatchObject({ code: 'E_MODEL_RUN' });
    expect(replies[1]!.json().error.message).toMatch(/onnxruntime failed on a batch of 1 sequence\(s\).*simulated kernel failure/);
  });

  it('refuses with 503 E_OVERLOADED when the queue is full, and recovers', async () => {
    const { predictor } = await rigged({ delayMs: 200 });
    const { url } = await start(predictor, { maxBatch: 1, maxWaitMs: 0, maxQueue: 2, queueTimeoutMs: 0 });
    const replies = await Promise.all(Array.from({ length: 6 }, () => predict(url, { texts: ['wonderful'] })));
    const codes = replies.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(3);
    expect(codes).toContain(503);
    expect(replies.find((r) => r.status === 503)!.json().error.code).toBe('E_OVERLOADED');
    expect((await predict(url, { texts: ['wonderful'] })).status).toBe(200);
  });
});

describe('serve: bad requests get a 4xx JSON error and lose nothing', () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await start(await tinyPredictor(), { maxBatch: 8, maxWaitMs: 1, maxBodyBytes: 4096, maxTexts: 5, maxChars: 50 }));
  });

  const cases: [string, string | Uint8Array, number, string, RegExp][] = [
    ['malformed JSON', '{"texts": ["a",', 400, 'E_BAD_JSON', /not valid JSON/],
    ['empty body', '', 400, 'E_BAD_REQUEST', /empty request body/],
    ['non-UTF-8 body', Uint8Array.from([...Buffer.from('{"texts": ["caf'), 0xe9, ...Buffer.from('"]}')]), 400, 'E_BAD_ENCODING', /not valid UTF-8: byte 0xe9 at offset 15/],
    ['top-level array', '["a"]', 400, 'E_BAD_REQUEST', /expected a JSON object .*found an array of 1/],
    ['null', 'null', 400, 'E_BAD_REQUEST', /found null/],
    ['no texts key', '{"text": "a"}', 400, 'E_BAD_REQUEST', /found no "texts" key/],
    ['texts a string', '{"texts": "a"}', 400, 'E_BAD_REQUEST', /expected "texts" to be an array of strings, found a string/],
    ['no texts', '{"texts": []}', 400, 'E_BAD_REQUEST', /"texts" is empty/],
    ['a number among texts', '{"texts": ["a", 7]}', 400, 'E_BAD_REQUEST', /texts\[1\]: expected a string, found number 7/],
    ['too many texts', JSON.stringify({ texts: Array(6).fill('a') }), 413, 'E_TOO_MANY_TEXTS', /limit is 5 per request \(--max-texts\), found 6/],
    ['text too long', JSON.stringify({ texts: ['ok', 'x'.repeat(51)] }), 413, 'E_TEXT_TOO_LONG', /texts\[1\] is too long: the limit is 50 characters \(--max-chars\), found 51/],
    ['body over the limit', JSON.stringify({ texts: ['a'.repeat(5000)] }), 413, 'E_BODY_TOO_LARGE', /limit is 4096 bytes .*found Content-Length 5014/],
  ];
  it.each(cases)('%s', async (_, body, status, code, message) => {
    const r = await send(url, { method: 'POST', path: '/v1/predict', body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(status);
    expect(r.json().error.code).toBe(code);
    expect(r.json().error.message).toMatch(message);
  });

  it('counts characters as code points: 50 emoji pass a 50-character limit', async () => {
    expect((await predict(url, { texts: ['😀'.repeat(50)] })).status).toBe(200);
    expect((await predict(url, { texts: ['😀'.repeat(51)] })).json().error.message).toMatch(/found 51$/);
  });

  it('a chunked body that grows past the limit is cut off with 413', async () => {
    const u = new URL('/v1/predict', url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(u, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', (e) => (e.message.includes('EPIPE') || e.message.includes('ECONNRESET') ? undefined : reject(e)));
      req.write('{"texts": ["');
      const chunk = 'a'.repeat(1024);
      let sent = 0;
      const pump = (): void => {
        if (sent++ < 64 && !req.destroyed) req.write(chunk, () => setImmediate(pump));
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('malformed HTTP is answered 400 by the server', async () => {
    expect(await raw(url, 'NOT-HTTP\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request/);
  });

  it('after all of that the server is healthy and counted every refusal', async () => {
    expect((await predict(url, { texts: ['wonderful'] })).status).toBe(200);
    const m = await metrics(url);
    expect(m.get('highway_http_requests_total{route="/v1/predict",method="POST",status="400"}')).toBe(9);
    expect(m.get('highway_http_requests_total{route="/v1/predict",method="POST",status="413"}')).toBe(5);
  });
});

describe('serve: graceful shutdown', () => {
  it('finishes requests in flight, refuses new ones, then closes', async () => {
    const { predictor } = await rigged({ delayMs: 300 });
    const { url, server } = await start(predictor, { maxBatch: 4, maxWaitMs: 10_000 });
    const inflight = [predict(url, { texts: ['wonderful'] }), predict(url, { texts: ['a gripping film', 'dull'] })];
    await new Promise((r) => setTimeout(r, 100)); // both queued, waiting for a batch
    const t0 = performance.now();
    const done = server.shutdown(5000);
    const replies = await Promise.all(inflight);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(replies[1]!.json().predictions).toHaveLength(2);
    expect(performance.now() - t0).toBeLessThan(3000); // draining does not wait out max-wait
    expect(await done).toEqual({ forced: false });
    await expect(send(url, { path: '/healthz' })).rejects.toThrow(/ECONNREFUSED/);
  });
});
