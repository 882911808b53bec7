// `npm run bench:serve`: load test of `highway-onnx serve` on loopback (autocannon) at 1, 16 and
// 64 clients, with micro-batching (max batch 32, max wait 5 ms and 0 ms) against max batch 1.
// Writes bench-results/serve.md and serve.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Command } from 'commander';
import { benchServe, DEFAULT_CONFIGS, serveTable } from './bench/serve.js';

const o = new Command('bench:serve')
  .option('--quick', 'short run (2 s per cell)')
  .option('--seconds <s>', 'measured seconds per cell (default 5)', (v) => Number(v))
  .option('--connections <list>', 'client counts', (v) => v.split(',').map(Number), [1, 16, 64])
  .option('--model <file>', 'serve this .onnx instead of a generated 2-layer Highway BiLSTM')
  .option('--threads <n>', 'onnxruntime intra-op threads in the server', (v) => Number(v))
  .option('--out <dir>', 'output directory', 'bench-results')
  .parse(process.argv)
  .opts<{ quick?: boolean; seconds?: number; connections: number[]; model?: string; threads?: number; out: string }>();

const seconds = o.seconds ?? (o.quick ? 2 : 5);
const started = new Date().toISOString();
process.stderr.write(`bench:serve: ${DEFAULT_CONFIGS.length} server configurations × clients ${o.connections.join(', ')}, ${seconds} s each (+1 s warm-up)\n`);
const rows = await benchServe({ seconds, connections: o.connections, ...(o.model ? { model: o.model } : {}), ...(o.threads ? { threads: o.threads } : {}) });
const md = [
  '# highway-onnx serve: load test',
  '',
  `Run ${started} on ${process.platform}/${process.arch} (${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}.`,
  `autocannon on loopback, ${seconds} s per cell after 1 s of warm-up (and 2 s per server before the first cell); configurations take turns at each client count; one text per request (5–35 words);`,
  `model: ${o.model ?? 'generated 2-layer Highway BiLSTM, embed 100, hidden 50, 5000 words'}; server: \`highway-onnx serve --device cpu\` in a child process.`,
  'The load generator shares the machine with the server. "gain" is req/s over the max-batch-1 server at the same client count.',
  '',
  serveTable(rows),
  '',
].join('\n');
await mkdir(o.out, { recursive: true });
await writeFile(`${o.out}/serve.json`, JSON.stringify({ started, seconds, rows }, null, 2));
await writeFile(`${o.out}/serve.md`, md);
process.stdout.write(`${md}\n`);
