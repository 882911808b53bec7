// Where the graphs run on WebGPU: creates onnxruntime-node WebGPU sessions for the inference
// graph and the training-step graph with onnxruntime's verbose log on, and turns its placement
// report ("Node(s) placed on [X]. Number of nodes: N" and the node list that follows, once per
// graph and Scan body) into a Markdown table of the nodes that fall back to the CPU, with
// onnxruntime's reason when it gives one. The log is native stderr, so each session is created
// in a child process that captures it.
//   npx tsx scripts/webgpu-placement.ts [--layers 2] [--hidden 50] [--embed-dim 100] [--vocab 5000] [--log-dir DIR]
// Needs a WebGPU adapter (without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { classifierModel } from '../src/models/classifier.js';
import { resolveConfig } from '../src/models/config.js';
import { initParams } from '../src/models/init.js';
import { encodeModel } from '../src/onnx/proto.js';
import { buildStepGraphs } from '../src/train/step-graph.js';

/** One placement block of onnxruntime's log: a provider and the nodes it got. */
export interface Placement {
  provider: string;
  count: number;
  nodes: { op: string; name: string }[];
}

/** Parse onnxruntime's verbose session log: placement blocks in order, and per-node CPU reasons. */
export function parsePlacementLog(log: string): { blocks: Placement[]; reasons: Map<string, string> } {
  const blocks: Placement[] = [];
  const reasons = new Map<string, string>();
  let current: Placement | null = null;
  for (const line of log.split('\n')) {
    const head = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (head) {
      current = { provider: head[1]!, count: Number(head[2]), nodes: [] };
      blocks.push(current);
      continue;
    }
    const node = /VerifyEachNodeIsAssignedToAnEp\]\s{3}(\S+) \((.*)\)\s*$/.exec(line);
    if (node && current) {
      current.nodes.push({ op: node[1]!, name: node[2]! });
      continue;
    }
    if (!/VerifyEachNodeIsAssignedToAnEp/.test(line)) current = null;
    const missing = /webgpu kernel not found in registries for Op type: (\w+) node name: (.*)$/.exec(line);
    if (missing) reasons.set(missing[2]!.trim(), 'no WebGPU kernel for these input types');
    const forced = /Force fallback to CPU execution for node: (\S+) because (.*)$/.exec(line);
    if (forced) reasons.set(forced[1]!, 'moved to CPU by onnxruntime (shape computation, cheaper there)');
  }
  return { blocks, reasons };
}

const CHILD = `
const ort = require(process.argv[1]);
ort.InferenceSession.create(process.argv[2], { executionProviders: ['webgpu', 'cpu'], logSeverityLevel: 0, logVerbosityLevel: 0 })
  .then((s) => s.release())
  .catch((e) => { process.stderr.write('PLACEMENT-FAILED ' + e.message); process.exitCode = 1; });
`;

function placementOf(modelPath: string): string {
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const r = spawnSync(process.execPath, ['-e', CHILD, ortPath, modelPath], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`the WebGPU session for ${modelPath} failed: ${(r.stderr ?? '').split('PLACEMENT-FAILED ').at(-1)!.split('\n')[0]}`);
  return r.stderr;
}

/** Markdown rows: per placement block, nodes per provider and the CPU nodes grouped by op. */
function table(title: string, log: string): string {
  const { blocks, reasons } = parsePlacementLog(log);
  const gpu = blocks.filter((b) => b.provider === 'WebGpuExecutionProvider').reduce((a, b) => a + b.count, 0);
  const cpu = blocks.filter((b) => b.provider === 'CPUExecutionProvider');
  const cpuNodes = cpu.flatMap((b) => b.nodes);
  const byOp = new Map<string, { names: string[]; reasons: Set<string> }>();
  for (const n of cpuNodes) {
    const e = byOp.get(n.op) ?? { names: [], reasons: new Set<string>() };
    e.names.push(n.name);
    e.reasons.add(reasons.get(n.name) ?? 'placed on CPU by onnxruntime');
    byOp.set(n.op, e);
  }
  const rows = [...byOp].sort((a, b) => b[1].names.length - a[1].names.length).map(([op, e]) => {
    const shown = e.names.slice(0, 4).map((n) => `\`${n}\``).join(', ') + (e.names.length > 4 ? `, … (${e.names.length})` : '');
    return `| ${title} | ${op} | ${e.names.length} | ${shown} | ${[...e.reasons].join('; ')} |`;
  });
  const summary = `**${title}**: ${gpu} nodes on WebGPU, ${cpuNodes.length} on CPU (${blocks.length} placement blocks: the graph and its Scan bodies)`;
  return [summary, '', '| graph | op on CPU | nodes | examples | why |', '| --- | --- | ---: | --- | --- |', ...rows].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { layers: { type: 'string', default: '2' }, hidden: { type: 'string', default: '50' }, 'embed-dim': { type: 'string', default: '100' }, vocab: { type: 'string', default: '5000' }, 'log-dir': { type: 'string' } } });
  const config = resolveConfig({ kind: 'highway', layers: Number(values.layers), hidden: Number(values.hidden), embedDim: Number(values['embed-dim']), vocabSize: Number(values.vocab), seed: 1, gatesOutput: true });
  const dir = values['log-dir'] ?? mkdtempSync(join(tmpdir(), 'placement-'));
  const params = initParams(config);
  const graphs = buildStepGraphs({ ...config, gatesOutput: false }, { kind: 'adam', clipNorm: 5 }, { params });
  const models: [string, Uint8Array][] = [
    ['inference', encodeModel(classifierModel(config, { params }))],
    ['train step', encodeModel(graphs.trainStep)],
  ];
  const out: string[] = [`Placement on WebGPU (onnxruntime-node, ${config.layers}-layer Highway BiLSTM, hidden ${config.hidden}, embed ${config.embedDim}):`, ''];
  for (const [name, bytes] of models) {
    const file = join(dir, `${name.replace(' ', '-')}.onnx`);
    writeFileSync(file, bytes);
    const log = placementOf(file);
    writeFileSync(join(dir, `${name.replace(' ', '-')}.log`), log);
    out.push(table(name, log), '');
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (!values['log-dir']) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`logs in ${dir}\n`);
}

if (process.argv[1] && /webgpu-placement\.ts$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    process.stderr.write(`webgpu-placement: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
