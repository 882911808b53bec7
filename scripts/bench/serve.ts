// HTTP serving benchmark: `highway-onnx serve` in a child process, loaded with autocannon on
// loopback at several client counts for a bounded time each. One text per request (an SST-like
// sentence of 5–35 known words), so batching across requests is the only batching. Each server
// configuration (max batch, max wait) runs on the same model; "gain" is throughput over the
// max-batch-1 server's at the same client count, measured in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { classifierModel } from '../../src/models/classifier.js';
import { resolveConfig } from '../../src/models/config.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { Rng } from '../../src/data/rng.js';
import { parsePrometheus } from '../../src/serve/metrics.js';
import { markdownTable, percentile } from './stats.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeConfig {
  maxBatch: number;
  maxWaitMs: number;
  /** --max-queue for the server (default: the server's). */
  maxQueue?: number;
  /** --queue-timeout-ms for the server (default: the server's). */
  queueTimeoutMs?: number;
}

export interface ServeBenchOptions {
  /** Measured seconds per cell (after `warmupSeconds` unmeasured). */
  seconds: number;
  connections: number[];
  configs?: ServeConfig[];
  warmupSeconds?: number;
  /** An .onnx to serve; default: a 2-layer Highway BiLSTM (embed 100, hidden 50, 5000 words). */
  model?: string;
  /** onnxruntime intra-op threads for the server (default: onnxruntime's choice). */
  threads?: number;
  log?: (line: string) => void;
}

export interface ServeRow {
  maxBatch: number;
  maxWaitMs: number;
  connections: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors + timeouts + non-2xx responses. */
  errors: number;
  /** 2xx responses per second: the requests actually served (goodput). */
  goodput: number;
  /** 503 responses (shed under overload) and socket errors + timeouts (lost or cut off). */
  shed: number;
  socketErrors: number;
  requests: number;
  /** Texts per micro-batch (one predict call), from the server's /metrics. */
  meanBatch: number;
  /**
   * Server-side p50/p99 of /v1/predict (request headers to response), as the upper bound of the
   * /metrics histogram bucket that holds it, seconds: what the server did, apart from the load
   * generator's own delays.
   */
  serverP50S: number;
  serverP99S: number;
  /** 200 responses per second as the server counted them (/metrics): goodput apart from the load generator's lag. */
  serverGoodput: number;
  /** requestsPerSec over the max-batch-1 configuration's at the same client count. */
  gain: number | null;
}

export const DEFAULT_CONFIGS: ServeConfig[] = [
  { maxBatch: 32, maxWaitMs: 5 },
  { maxBatch: 32, maxWaitMs: 0 },
  { maxBatch: 1, maxWaitMs: 0 },
];

async function benchModel(dir: string): Promise<{ path: string; words: string[] }> {
  const words = Array.from({ length: 4998 }, (_, i) => `w${i}`);
  const config = resolveConfig({ kind: 'highway', layers: 2, embedDim: 100, hidden: 50, vocabSize: words.length + 2 });
  const path = join(dir, 'bench-model.onnx');
  await writeFile(path, encodeModel(classifierModel(config, { vocab: ['<pad>', '<unk>', ...words] })));
  return { path, words };
}

function startServer(model: string, c: ServeConfig, threads?: number): Promise<{ child: ChildProcess; url: string }> {
  const args = ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'serve', '--model', model, '--port', '0', '--device', 'cpu',
    '--max-batch', String(c.maxBatch), '--max-wait-ms', String(c.maxWaitMs), ...(c.maxQueue ? ['--max-queue', String(c.maxQueue)] : []), ...(c.queueTimeoutMs !== undefined ? ['--queue-timeout-ms', String(c.queueTimeoutMs)] : []), ...(threads ? ['--threads', String(threads)] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /at (http:\/\/[^ ]+) /.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${err}`)));
  });
}

async function batchStats(url: string): Promise<{ sum: number; count: number; ok: number; latency: [number, number][] }> {
  const m = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
  const latency: [number, number][] = [];
  for (const [k, v] of m) {
    // prom-client renders the bucket's `le` before the other labels.
    const b = /^highway_http_request_duration_seconds_bucket\{le="([^"]+)",route="\/v1\/predict"\}$/.exec(k);
    if (b) latency.push([b[1] === '+Inf' ? Infinity : Number(b[1]), v]);
  }
  const ok = m.get('highway_http_requests_total{route="/v1/predict",method="POST",status="200"}') ?? 0;
  return { sum: m.get('highway_batch_size_sum') ?? 0, count: m.get('highway_batch_size_count') ?? 0, ok, latency };
}

/** The upper bound of the histogram bucket holding quantile q of the observations between two scrapes. */
function bucketQuantile(before: [number, number][], after: [number, number][], q: number): number {
  const delta = after.map(([le, v]) => [le, v - (before.find(([b]) => b === le)?.[1] ?? 0)] as const);
  const total = delta.at(-1)?.[1] ?? 0;
  return delta.find(([, v]) => v >= q * total)?.[0] ?? NaN;
}

/** autocannon's own histogram keeps whole milliseconds: per-response times are collected here instead. */
function load(url: string, bodies: string[], connections: number, seconds: number): Promise<{ result: autocannon.Result; latencies: number[] }> {
  let i = 0;
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/v1/predict`,
        connections,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length]! }) }],
      },
      (err, result) => (err ? reject(err) : resolve({ result, latencies })),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

export async function benchServe(opts: ServeBenchOptions): Promise<ServeRow[]> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = await mkdtemp(join(tmpdir(), 'bench-serve-'));
  const rows: ServeRow[] = [];
  try {
    const { path: generated, words } = await benchModel(dir);
    const model = opts.model ?? generated;
    // Sentences of known words (for a given model the words only matter through their ids).
    const rng = new Rng(17);
    const pool = opts.model ? ['the', 'film', 'is', 'not', 'good', 'a', 'gripping', 'dull', 'but', 'acting', 'great', 'plot', 'wonderful', 'mess'] : words;
    const bodies = Array.from({ length: 256 }, () =>
      JSON.stringify({ texts: [Array.from({ length: 5 + rng.nextInt(31) }, () => pool[rng.nextInt(pool.length)]).join(' ')] }),
    );
    // Every server is up for the whole run and the configurations take turns at each client
    // count, so drift in the machine's load hits the cells being compared alike.
    const configs = opts.configs ?? DEFAULT_CONFIGS;
    const servers: { child: ChildProcess; url: string }[] = [];
    try {
      for (const c of configs) servers.push(await startServer(model, c, opts.threads));
      // JIT and onnxruntime warm-up for every server and for the load generator itself: without
      // it the first cells measured run markedly slower than the same cells later.
      for (const { url } of servers) await load(url, bodies, Math.max(...opts.connections), 2);
      for (const connections of opts.connections) {
        for (const [k, c] of configs.entries()) {
          const { url } = servers[k]!;
          if (opts.warmupSeconds !== 0) await load(url, bodies, connections, opts.warmupSeconds ?? 1);
          const before = await batchStats(url);
          const { result: r, latencies } = await load(url, bodies, connections, opts.seconds);
          const after = await batchStats(url);
          latencies.sort((x, y) => x - y);
          const row: ServeRow = {
            maxBatch: c.maxBatch,
            maxWaitMs: c.maxWaitMs,
            connections,
            requestsPerSec: r.requests.average,
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
            errors: r.errors + r.timeouts + r.non2xx,
            goodput: r['2xx'] / opts.seconds,
            shed: r.statusCodeStats?.['503']?.count ?? 0,
            socketErrors: r.errors + r.timeouts,
            requests: r.requests.total,
            meanBatch: (after.sum - before.sum) / Math.max(1, after.count - before.count),
            serverP50S: bucketQuantile(before.latency, after.latency, 0.5),
            serverP99S: bucketQuantile(before.latency, after.latency, 0.99),
            serverGoodput: (after.ok - before.ok) / opts.seconds,
            gain: null,
          };
          rows.push(row);
          log(`  serve max-batch ${c.maxBatch} max-wait ${c.maxWaitMs} ms, ${connections} clients: ${row.requestsPerSec.toFixed(0)} req/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms, mean batch ${row.meanBatch.toFixed(1)}, errors ${row.errors}`);
        }
      }
    } finally {
      for (const { child } of servers) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const row of rows) {
    const base = rows.find((b) => b.maxBatch === 1 && b.connections === row.connections);
    row.gain = base && base.requestsPerSec > 0 ? row.requestsPerSec / base.requestsPerSec : null;
  }
  return rows;
}

export function serveTable(rows: ServeRow[]): string {
  return markdownTable(
    ['max batch', 'max wait ms', 'clients', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'requests', 'mean batch', 'gain vs batch 1'],
    rows.map((r) => [r.maxBatch, r.maxWaitMs, r.connections, r.requestsPerSec.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(1), r.errors, r.requests, r.meanBatch.toFixed(1), r.gain === null ? '–' : `${r.gain.toFixed(2)}×`]),
  );
}
