// The prediction service inside real applications: CORS (preflights, allowed and refused origins),
// the request handler mounted in a plain Node http server, Express and Fastify next to the host's
// own routes, and prom-client metrics a host can serve from its own registry or merge with its own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Registry, Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler, type PredictRequestHandler } from './handler.js';
import { PredictServer } from './server.js';
import { CorsOriginError } from './cors.js';
import { parsePrometheus } from './metrics.js';
import type { Predictor } from '../runtime/predictor.js';
import { ServeModeError } from './errors.js';
import { modelBytes, rigged, send, tinyPredictor, type Reply } from '../../test/serve/helpers.js';
import { startServe } from '../../test/serve/process.js';
import { inProcessServers } from '../../test/serve/in-process.js';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TEXTS = ['a gripping film', 'not good at all', 'wonderful'];
const APP = 'https://app.example.com';

let predictor: Predictor;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  predictor = await tinyPredictor();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await predictor.release();
});

/** POST `body` as JSON to `path` (default /v1/predict). */
const predict = (url: string, body: unknown, headers: Record<string, string> = {}, path = '/v1/predict'): Promise<Reply> =>
  send(url, { method: 'POST', path, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      cleanups.push(() => new Promise((r) => server.close(r)));
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }),
  );
}

// Registered after the afterAll above, so (hooks run as a stack) these shut down before the predictor is released.
const servers = inProcessServers();
async function standalone(opts: ConstructorParameters<typeof PredictServer>[1]): Promise<string> {
  return (await servers.start(predictor, { metrics: { defaultMetrics: false }, ...opts })).url;
}

/** The library's own answer for TEXTS, as the server renders it. */
async function expected(): Promise<{ label: string; positive: number }[]> {
  return (await predictor.predict(TEXTS)).map((p) => ({ label: p.label, positive: p.probs[1]! }));
}

function expectPredictions(body: { labels: string[]; predictions: { label: string; probs: number[] }[] }, want: { label: string; positive: number }[]): void {
  expect(body.labels).toEqual(['negative', 'positive']);
  expect(body.predictions).toHaveLength(want.length);
  body.predictions.forEach((p, i) => {
    expect(p.label).toBe(want[i]!.label);
    expect(p.probs[1]).toBeCloseTo(want[i]!.positive, 6);
  });
}

describe('serve: CORS', () => {
  it('answers a preflight from an allowed origin with the route\'s methods, and marks answers to it', async () => {
    const url = await standalone({ corsOrigins: [APP, 'http://localhost:5173'] });
    const pre = await send(url, { method: 'OPTIONS', path: '/v1/predict', headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(APP);
    expect(pre.headers['access-control-allow-methods']).toBe('POST,OPTIONS');
    expect(pre.headers['access-control-allow-headers']).toBe('content-type');
    expect(pre.headers['access-control-max-age']).toBe('600');
    expect(pre.headers.vary).toMatch(/Origin/);
    const r = await predict(url, { texts: TEXTS }, { origin: APP });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    // Errors carry the header too, so the page can read why it was refused.
    const bad = await send(url, { method: 'POST', path: '/v1/predict', body: '{', headers: { origin: APP } });
    expect(bad.status).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe(APP);
  });

  it('gives another origin no CORS headers (the browser keeps the answer from the page)', async () => {
    const url = await standalone({ corsOrigins: [APP] });
    const pre = await send(url, { method: 'OPTIONS', path: '/v1/predict', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const r = await predict(url, { texts: TEXTS }, { origin: 'https://evil.example' });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('"*" allows any origin; without CORS, OPTIONS is 204 with Allow and no CORS headers; unknown paths stay 404', async () => {
    const any = await standalone({ corsOrigins: ['*'] });
    const pre = await send(any, { method: 'OPTIONS', path: '/healthz', headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'GET' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-methods']).toBe('GET,HEAD,OPTIONS');
    const none = await standalone({});
    const opt = await send(none, { method: 'OPTIONS', path: '/v1/predict', headers: { origin: APP, 'access-control-request-method': 'POST' } });
    expect(opt.status).toBe(204);
    expect(opt.headers.allow).toBe('POST, OPTIONS');
    expect(opt.headers['access-control-allow-origin']).toBeUndefined();
    expect((await send(any, { method: 'OPTIONS', path: '/nope', headers: { origin: APP } })).status).toBe(404);
  });

  it('refuses an origin a browser could never send, naming it', () => {
    expect(() => new PredictServer(predictor, { corsOrigins: ['https://app.example.com/'] })).toThrow(CorsOriginError);
    expect(() => new PredictServer(predictor, { corsOrigins: ['app.example.com'] })).toThrow(/"app.example.com" is not an origin: expected "\*" or scheme:\/\/host\[:port\]/);
  });

  it('`serve --cors-origin` answers preflights; a malformed origin is one coded line and exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cors-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const model = join(dir, 'm.onnx');
    await writeFile(model, modelBytes);
    const s = await startServe(model, ['--cors-origin', `${APP},http://localhost:5173`]);
    cleanups.push(async () => {
      s.child.kill('SIGKILL');
      await s.exit;
    });
    await s.waitFor(/serving .* CORS origins https:\/\/app\.example\.com http:\/\/localhost:5173/);
    const pre = await send(s.url, { method: 'OPTIONS', path: '/v1/predict', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const bad = await startServe(model, ['--cors-origin', 'localhost:5173']);
    expect(await bad.exit).toBe(1);
    expect(bad.stderr().trim().split('\n')).toHaveLength(1);
    expect(bad.stderr()).toMatch(/E_CORS_ORIGIN.*"localhost:5173" is not an origin/);
  });
});

describe('serve: the request handler in host applications', () => {
  it('in a plain node:http server under a base path, beside the host\'s own routes', async () => {
    const handler = createRequestHandler(predictor, { basePath: '/ml', maxWaitMs: 1 });
    cleanups.push(() => handler.close(1000));
    const url = await listen(
      createServer((req, res) => {
        if (req.url?.startsWith('/ml/')) return handler(req, res);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('host');
      }),
    );
    expect((await send(url, { path: '/' })).body).toBe('host');
    const r = await predict(url, { texts: TEXTS }, {}, '/ml/v1/predict');
    expect(r.status).toBe(200);
    expectPredictions(r.json(), await expected());
    const h = await send(url, { path: '/ml/healthz' });
    expect(h.json()).toMatchObject({ status: 'ok', model: { labels: ['negative', 'positive'] } });
    // No `next` to pass it to: a path under the base that is no route is the service's 404.
    const nf = await send(url, { path: '/ml/nope' });
    expect(nf.status).toBe(404);
    expect(nf.json().error.code).toBe('E_NOT_FOUND');
    const m = parsePrometheus((await send(url, { path: '/ml/metrics' })).body);
    expect(m.get('highway_http_requests_total{route="/v1/predict",method="POST",status="200"}')).toBe(1);
    expect(m.get('highway_texts_total')).toBe(TEXTS.length);
    // Default process metrics come with it unless turned off.
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(() => handler.service.server).toThrow(ServeModeError); // the host owns the server
  });

  it('in Express (app.use with a mount path), after express.json(), handing unknown paths to the next route', async () => {
    const handler = createRequestHandler(predictor, { maxWaitMs: 1, corsOrigins: [APP] });
    cleanups.push(() => handler.close(1000));
    const app = express();
    app.use(express.json());
    app.get('/', (_req, res) => void res.send('host'));
    app.use('/ml', handler);
    app.use((_req, res) => void res.status(404).send('host 404'));
    const url = await listen(createServer(app));
    const r = await predict(url, { texts: TEXTS }, { origin: APP }, '/ml/v1/predict');
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    expectPredictions(r.json(), await expected());
    expect((await send(url, { path: '/' })).body).toBe('host');
    const nf = await send(url, { path: '/ml/nope' });
    expect([nf.status, nf.body]).toEqual([404, 'host 404']);
    // A body the host parsed is read from req.body; the service's own checks still apply.
    const bad = await predict(url, { texts: 'one' }, {}, '/ml/v1/predict');
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toMatch(/expected "texts" to be an array of strings, found a string/);
  });

  it('in Fastify (a hijacked reply on a wildcard route), with the body left to the handler', async () => {
    const handler = createRequestHandler(predictor, { basePath: '/ml', maxWaitMs: 1 });
    cleanups.push(() => handler.close(1000));
    const app = Fastify();
    app.get('/', async () => 'host');
    await app.register(async (scope) => {
      // The handler reads the body itself: no Fastify parser may consume the stream first.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
      scope.all('/ml/*', (req, reply) => {
        reply.hijack();
        handler(req.raw, reply.raw);
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    expect((await send(url, { path: '/' })).body).toBe('host');
    const r = await predict(url, { texts: TEXTS }, {}, '/ml/v1/predict');
    expect(r.status).toBe(200);
    expectPredictions(r.json(), await expected());
    expect((await send(url, { path: '/ml/healthz' })).status).toBe(200);
  });

  it('close(): requests already received are answered, later ones get 503 E_SHUTTING_DOWN', async () => {
    const slow = await rigged({ delayMs: 300 });
    cleanups.push(() => slow.predictor.release());
    const handler = createRequestHandler(slow.predictor, { maxWaitMs: 1, metrics: { defaultMetrics: false } });
    const url = await listen(createServer(handler));
    const first = predict(url, { texts: TEXTS });
    while (slow.runs.length === 0) await new Promise((r) => setTimeout(r, 5)); // its batch is running
    let closedAt = 0;
    const closed = handler.close(5000).then((r) => ((closedAt = performance.now()), r));
    expect(handler.state).toBe('draining');
    const answered = await first;
    const answeredAt = performance.now();
    expect(answered.status).toBe(200);
    expect(await closed).toEqual({ forced: false });
    expect(closedAt).toBeGreaterThanOrEqual(answeredAt - 50); // close waited for the request
    const m = parsePrometheus(await handler.registry.metrics());
    expect(m.get('highway_inflight_requests')).toBe(0);
    const late = await predict(url, { texts: TEXTS });
    expect([late.status, late.json().error.code]).toEqual([503, 'E_SHUTTING_DOWN']);
  });
});

describe('serve: metrics through prom-client', () => {
  it('registers in the host\'s registry, or merges with it', async () => {
    const host = new Registry();
    const hits = new Counter({ name: 'host_hits_total', help: 'host hits', registers: [host] });
    const inHost = createRequestHandler(predictor, { metrics: { registry: host, defaultMetrics: false } });
    cleanups.push(() => inHost.close(1000));
    expect(inHost.registry).toBe(host);
    const url = await listen(
      createServer(async (req, res) => {
        if (req.url === '/host-metrics') {
          hits.inc();
          res.writeHead(200, { 'content-type': host.contentType }).end(await host.metrics());
        } else inHost(req, res);
      }),
    );
    expect((await predict(url, { texts: TEXTS })).status).toBe(200);
    const m = parsePrometheus((await send(url, { path: '/host-metrics' })).body);
    expect(m.get('host_hits_total')).toBe(1);
    expect(m.get('highway_texts_total')).toBe(TEXTS.length);
    expect(m.get('process_resident_memory_bytes')).toBeUndefined(); // defaultMetrics: false
    // Its own registry (with process metrics), merged into one exposition with another host's.
    const other = new Registry();
    new Counter({ name: 'other_hits_total', help: 'other host hits', registers: [other] }).inc(2);
    const own = createRequestHandler(predictor);
    cleanups.push(() => own.close(1000));
    const merged = parsePrometheus(await Registry.merge([other, own.registry]).metrics());
    expect(merged.get('other_hits_total')).toBe(2);
    expect(merged.get('highway_model_generation')).toBe(1);
    expect(merged.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // Two services cannot share one registry: the names would clash, and prom-client says so.
    expect(() => createRequestHandler(predictor, { metrics: { registry: host, defaultMetrics: false } })).toThrow(/highway_http_requests_total.*already been registered/);
  });
});
