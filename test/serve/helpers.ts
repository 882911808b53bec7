// Shared by the serve tests: a tiny real classifier, request helpers over real sockets.
import { request } from 'node:http';
import { connect } from 'node:net';
import * as ort from 'onnxruntime-node';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { initParams } from '../../src/models/init.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { tokenize } from '../../src/data/tokenizer.js';
import { loadModel } from '../../src/runtime/node.js';
import { Predictor, type OrtTensorLike, type SessionLike, type TensorCtor } from '../../src/runtime/predictor.js';
import { parsePrometheus } from '../../src/serve/metrics.js';

export const TRAIN_TEXTS = ['a gripping film', 'not good at all', 'the plot is dull but the acting is great', 'wonderful', 'poison pill'];
export const vocab = Vocabulary.build(TRAIN_TEXTS.map(tokenize));
export const config = resolveConfig({ layers: 2, vocabSize: vocab.size, embedDim: 6, hidden: 3, seed: 7 });
export const modelBytes = encodeModel(classifierModel(config, { params: initParams(config), vocab: vocab.toJSON() }));

export async function tinyPredictor(maxBatch = 64): Promise<Predictor> {
  return loadModel(modelBytes, { device: 'cpu', maxBatch });
}

/**
 * A Predictor whose session can be slowed down and poisoned: runs take `delayMs` longer, and a
 * batch holding the id of `poisonToken` fails, as a model that breaks on one input would.
 */
export async function rigged(opts: { delayMs?: number; poisonToken?: string; maxBatch?: number } = {}): Promise<{ predictor: Predictor; runs: number[]; shapes: [number, number][] }> {
  const inner = await tinyPredictor(opts.maxBatch ?? 64);
  const poison = opts.poisonToken ? BigInt(vocab.idOf(opts.poisonToken)) : null;
  const runs: number[] = [];
  const shapes: [number, number][] = []; // [batch, padded length] of every run
  const session: SessionLike = {
    inputNames: inner.session.inputNames,
    outputNames: inner.session.outputNames,
    async run(feeds: Record<string, OrtTensorLike>) {
      runs.push(feeds.lengths!.dims[0]!);
      shapes.push([feeds.ids!.dims[0]!, feeds.ids!.dims[1]!]);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (poison !== null && (feeds.ids!.data as BigInt64Array).includes(poison)) throw new Error('simulated kernel failure');
      return inner.session.run(feeds);
    },
    release: () => inner.release(),
  };
  return { predictor: new Predictor(session, ort.Tensor as unknown as TensorCtor, inner.info, { maxBatch: opts.maxBatch ?? 64, provider: 'cpu' }), runs, shapes };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => any;
}

/** One HTTP request with node:http (a fresh connection), body as given. */
export function send(url: string, opts: { method?: string; path?: string; body?: string | Uint8Array; headers?: Record<string, string | number> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(opts.path ?? '/', url);
    const req = request(u, { method: opts.method ?? 'GET', headers: { connection: 'close', ...(opts.headers ?? {}) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const predict = (url: string, body: unknown): Promise<Reply> =>
  send(url, { method: 'POST', path: '/v1/predict', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });

export async function metrics(url: string): Promise<Map<string, number>> {
  const r = await send(url, { path: '/metrics' });
  return parsePrometheus(r.body);
}

/** Raw bytes over TCP; resolves with everything the server sent before closing. */
export function raw(url: string, bytes: string | Uint8Array): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(u.port), u.hostname, () => s.end(bytes));
    s.on('data', (c) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
  });
}

/**
 * A /v1/predict request whose body is sent in two parts: the server sees it arrive and waits
 * for the rest (a slow client). `finish()` sends the rest and resolves with the reply.
 */
export function partialPredict(url: string, texts: string[]): { finish: () => Promise<Reply> } {
  const body = Buffer.from(JSON.stringify({ texts }));
  const cut = Math.floor(body.length / 2);
  let resolveReply!: (r: Reply) => void;
  let rejectReply!: (e: unknown) => void;
  const reply = new Promise<Reply>((res, rej) => ((resolveReply = res), (rejectReply = rej)));
  const req = request(new URL('/v1/predict', url), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length, connection: 'close' }, agent: false }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolveReply({ status: res.statusCode!, headers: res.headers, body: text, json: () => JSON.parse(text) });
    });
  });
  req.on('error', rejectReply);
  req.flushHeaders();
  req.write(body.subarray(0, cut));
  return {
    finish: () => {
      req.end(body.subarray(cut));
      return reply;
    },
  };
}

/** Polls /metrics until `name` reaches `value` (or fails after ~3 s). */
export async function until(url: string, name: string, atLeast: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (((await metrics(url)).get(name) ?? 0) >= atLeast) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${name} never reached ${atLeast}`);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a server sent on one connection into its HTTP/1.1 responses (Content-Length framed). */
export function parseResponses(bytes: string): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) throw new Error(`truncated response head at byte ${at}: ${JSON.stringify(bytes.slice(at, at + 80))}`);
    const [statusLine, ...lines] = bytes.slice(at, end).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine!);
    if (!m) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = bytes.slice(end + 4, end + 4 + length);
    if (body.length < length) throw new Error(`truncated body: ${body.length} of ${length} bytes`);
    out.push({ status: Number(m[1]), headers, body });
    at = end + 4 + length;
  }
  return out;
}

/** One raw HTTP/1.1 request (for pipelining over one socket). */
export function rawRequest(method: string, path: string, body = '', headers: Record<string, string | number> = {}): string {
  const h = { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers };
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Opens a socket, writes `parts` (each after `gapMs`), and resolves with everything received
 * once the server closes the connection; rejects if it stays open past `timeoutMs`.
 */
export function converse(url: string, parts: string[], opts: { gapMs?: number; timeoutMs?: number } = {}): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(u.port), u.hostname, async () => {
      for (const [i, p] of parts.entries()) {
        if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        if (!s.destroyed) s.write(p);
      }
    });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`the server kept the connection open past ${opts.timeoutMs ?? 5000} ms; received: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    }, opts.timeoutMs ?? 5000);
    s.on('data', (c) => chunks.push(c));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.on('error', () => undefined); // a reset still ends in 'close' with what arrived
  });
}

/** A second model over the same vocabulary with three differently named classes: its answers cannot be mistaken for modelBytes'. */
export const otherConfig = resolveConfig({ layers: 1, vocabSize: vocab.size, embedDim: 4, hidden: 2, seed: 11, classes: 3, labels: ['bad', 'meh', 'good'] });
export const otherModelBytes = encodeModel(classifierModel(otherConfig, { params: initParams(otherConfig), vocab: vocab.toJSON() }));
