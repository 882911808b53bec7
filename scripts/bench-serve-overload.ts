// `npm run bench:serve:overload`: does `highway-onnx serve` keep its goodput when overloaded?
// autocannon on loopback at 500 and then 1,000 concurrent clients (bounded: --seconds each) against
// one server (max batch 32, max wait 5 ms). Goal: goodput (2xx/s) at 1,000 clients ≥ 80% of the
// 500-client figure, with bounded latency for the requests admitted. Writes
// bench-results/serve-overload.md and serve-overload.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import { benchServe } from './bench/serve.js';
import { markdownTable } from './bench/stats.js';

const o = new Command('bench:serve:overload')
  .option('--seconds <s>', 'measured seconds per client count', (v) => Number(v), 10)
  .option('--connections <list>', 'client counts (the first is the reference)', (v) => v.split(',').map(Number), [500, 1000])
  .option('--max-queue <n>', 'the server\'s --max-queue (default: its own)', (v) => Number(v))
  .option('--queue-timeout-ms <ms>', 'the server\'s --queue-timeout-ms (default: its own)', (v) => Number(v))
  .option('--threads <n>', 'onnxruntime intra-op threads in the server', (v) => Number(v))
  .option('--rounds <n>', 'alternate the client counts this many times (drift on a shared machine hits them alike); medians are reported', (v) => Number(v), 3)
  .option('--out <dir>', 'output directory', 'bench-results')
  .option('--label <name>', 'written as serve-overload-<name>.md/json (default: serve-overload.md/json)')
  .parse(process.argv)
  .opts<{ seconds: number; connections: number[]; maxQueue?: number; queueTimeoutMs?: number; threads?: number; rounds: number; out: string; label?: string }>();

const started = new Date().toISOString();
const load0 = loadavg()[0]!;
process.stderr.write(`bench:serve:overload: clients ${o.connections.join(', ')} × ${o.rounds} rounds, ${o.seconds} s each (+1 s warm-up)\n`);
const schedule = Array.from({ length: o.rounds }, () => o.connections).flat();
const cells = await benchServe({ seconds: o.seconds, connections: schedule, configs: [{ maxBatch: 32, maxWaitMs: 5, ...(o.maxQueue ? { maxQueue: o.maxQueue } : {}), ...(o.queueTimeoutMs !== undefined ? { queueTimeoutMs: o.queueTimeoutMs } : {}) }], ...(o.threads ? { threads: o.threads } : {}) });
// One row per client count: the median cell by goodput (every cell is in the JSON).
const rows = o.connections.map((c) => {
  const mine = cells.filter((r) => r.connections === c).sort((a, b) => a.goodput - b.goodput);
  return { ...mine[Math.floor(mine.length / 2)]!, range: `${mine[0]!.goodput.toFixed(0)}–${mine.at(-1)!.goodput.toFixed(0)}` };
});
const ref = rows[0]!.goodput;
const refServer = rows[0]!.serverGoodput;
const table = markdownTable(
  ['clients', 'goodput 2xx/s (client, median)', 'range', 'vs first', 'server 200/s', 'vs first', '503 shed', 'socket errors + timeouts', 'admitted p50 / p99 ms (client)', 'server p50 / p99 ≤ s', 'mean batch'],
  rows.map((r) => [r.connections, r.goodput.toFixed(0), r.range, `${((100 * r.goodput) / ref).toFixed(0)}%`, r.serverGoodput.toFixed(0), `${((100 * r.serverGoodput) / refServer).toFixed(0)}%`, r.shed, r.socketErrors, `${r.p50Ms.toFixed(0)} / ${r.p99Ms.toFixed(0)}`, `${r.serverP50S} / ${r.serverP99S}`, r.meanBatch.toFixed(1)]),
);
const md = [
  '# highway-onnx serve: overload',
  '',
  `Run ${started} on ${process.platform}/${process.arch} (${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
  `autocannon on loopback, ${o.seconds} s per cell after 1 s of warm-up, client counts alternated ${o.rounds} times (the row is the median cell by client goodput); one server (\`highway-onnx serve --device cpu --max-batch 32 --max-wait-ms 5${o.maxQueue ? ` --max-queue ${o.maxQueue}` : ''}${o.queueTimeoutMs !== undefined ? ` --queue-timeout-ms ${o.queueTimeoutMs}` : ''}\`, default ${o.maxQueue ? '' : 'queue and '}connection limits) in a child process;`,
  'model: generated 2-layer Highway BiLSTM, embed 100, hidden 50, 5000 words; one text of 5–35 words per request. The load generator shares the machine with the server.',
  'Goodput counts 2xx responses only; client latency percentiles are over the 2xx responses (the requests admitted), as autocannon saw them;',
  'server 200/s and server percentiles come from /metrics over the same window (percentiles: upper bounds of the histogram buckets, request headers to response).',
  'Where the client and server figures differ, the load generator (one autocannon process on the same CPUs) could not keep up: responses the server wrote were still unread when the window closed.',
  '',
  table,
  '',
].join('\n');
await mkdir(o.out, { recursive: true });
const base = `${o.out}/serve-overload${o.label ? `-${o.label}` : ''}`;
await writeFile(`${base}.json`, JSON.stringify({ started, seconds: o.seconds, rounds: o.rounds, loadavg: [load0, loadavg()[0]], cells }, null, 2));
await writeFile(`${base}.md`, md);
process.stdout.write(`${md}\n`);
