// Human-readable rendering of inspect reports (the --json flag prints the reports as they are).
import type { OnnxReport, ValueReport } from './onnx.js';
import { printable } from '../printable.js';
import type { ArtifactReport, Report, RunReport, WeightsReport } from './files.js';

const n = (x: number): string => x.toLocaleString('en-US');
const shape = (s: readonly (number | string)[] | null): string => (s ? `[${s.join(', ')}]` : '[?]');
const value = (v: ValueReport): string => `${v.name} ${v.type} ${shape(v.shape)}`;
const row = (key: string, text: string, indent = '  '): string => `${indent}${key.padEnd(12)}${text}`;

export function formatOnnx(r: OnnxReport, indent = '  '): string[] {
  const out: string[] = [];
  const opsets = r.opsets.map((o) => `${o.domain} ${o.version}`).join(', ');
  out.push(row('format', `ONNX IR version ${r.irVersion}, opset ${opsets}${r.producer ? `, producer ${r.producer}` : ''}`, indent));
  const ops = Object.entries(r.ops).sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${c}`).join(', ');
  out.push(row('graph', `${r.graphName || '(unnamed)'}: ${n(r.nodes)} nodes (${ops || 'none'})`, indent));
  out.push(row('inputs', r.inputs.map(value).join('; ') || 'none', indent));
  out.push(row('outputs', r.outputs.map(value).join('; ') || 'none', indent));
  if (r.classifier) {
    const c = r.classifier.config;
    const block = c.kind === 'highway' ? `Highway BiLSTM, ${c.layers} layer(s), carry ${c.carry} (layer 1), gate bias ${c.gateBias}` : `plain BiLSTM, ${c.layers} layer(s)`;
    out.push(row('classifier', `${block}; hidden ${c.hidden}/direction, embedding ${n(c.vocabSize)}×${c.embedDim}, dropout ${c.dropout} (training), seed ${c.seed}${c.gatesOutput && c.kind === 'highway' ? ', gates output' : ''}`, indent));
    out.push(row('labels', r.classifier.labels.join(', '), indent));
    if (r.classifier.untrained !== null) out.push(row('weights', `UNTRAINED: ${r.classifier.untrained}; its predictions are noise until it is trained`, indent));
    out.push(row('vocabulary', r.classifier.vocabSize === null ? 'none in the file (the model takes token ids)' : `${n(r.classifier.vocabSize)} tokens (${r.classifier.vocabSample.join(' ')}${r.classifier.vocabSize > 12 ? ' …' : ''})`, indent));
  } else if (r.classifierError) {
    out.push(row('classifier', `metadata present but unreadable: ${r.classifierError}`, indent));
  } else out.push(row('classifier', 'no highway-onnx metadata (not a highway-onnx classifier)', indent));
  const trainable = r.layers.filter((l) => l.name !== '(constants)');
  out.push(row('parameters', `${n(r.parameters)} in ${trainable.reduce((a, l) => a + l.tensors.length, 0)} tensor(s); ${n(r.bytes)} bytes on disk`, indent));
  for (const l of r.layers) {
    const t = l.name === '(constants)' ? `${l.tensors.length} constant(s), ${n(l.parameters)} value(s)` : l.tensors.map((x) => `${x.name.slice(l.name.length + 1) || x.name} ${shape(x.dims)}`).join(', ');
    out.push(`${indent}  ${l.name.padEnd(12)}${l.name === '(constants)' ? '' : `${n(l.parameters).padStart(10)}  `}${t}`);
  }
  const x = r.externalData;
  if (x && !x.read) {
    out.push(row('weights', `NOT READ: ${x.tensors} tensor(s) keep their data in external file(s) ${x.files.map((f) => `"${f}"`).join(', ')}; their values were not checked (--external-data model-folder reads them from the model's folder)`, indent));
  } else {
    const from = x ? ` (${x.tensors} tensor(s) read from ${x.files.map((f) => `"${f}"`).join(', ')} in the model's folder)` : '';
    out.push(row('weights', `${r.nonFinite.length === 0 ? 'all finite' : `NOT FINITE: ${r.nonFinite.map((f) => `${f.name} (${f.nan} NaN, ${f.inf} inf)`).join(', ')}`}${from}`, indent));
  }
  for (const [k, v] of Object.entries(r.metadata)) out.push(row('metadata', `${k} = ${v}`, indent));
  out.push(row('check', r.problems.length === 0 ? 'passes the structural check' : `${r.problems.length} problem(s): ${r.problems.slice(0, 3).join('; ')}`, indent));
  const verdict = { verified: '', unverified: 'UNVERIFIED: ', mismatch: 'DOES NOT MATCH: ', absent: 'NONE: ' } as const;
  out.push(row('structure', `${verdict[r.graphCheck.state]}${r.graphCheck.detail}`, indent));
  out.push(row('digest', `${r.digest.state === 'mismatch' ? 'MISMATCH: ' : r.digest.state === 'not read' ? 'NOT READ: ' : verdict[r.digest.state]}${r.digest.detail}`, indent));
  return out;
}

export function formatWeights(r: WeightsReport, indent = '  '): string[] {
  const layout = r.torch ? (r.torch.layout === 'legacy' ? ' (legacy torch.save, before 1.6)' : ' (torch.save zip)') : '';
  // No state dict chosen (several fit, or none): its tensors are not listed, so do not count them as zero.
  const counted = r.torch?.problem ? 'tensors not listed (no state dict chosen, see below)' : `${r.tensors.length} tensor(s), ${n(r.elements)} values`;
  const out = [row('format', `${r.format}${layout}, ${n(r.bytes)} bytes, ${counted}`, indent)];
  if (r.torch) out.push(...formatTorch(r.torch, indent));
  if (r.position) out.push(row('position', Object.entries(r.position).map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toFixed(4) : String(v)}`).join(', '), indent));
  for (const [k, v] of Object.entries(r.metadata)) out.push(row('metadata', `${k} = ${v.length > 100 ? `${v.slice(0, 100)}…` : v}`, indent));
  const shown = r.tensors.slice(0, 40);
  for (const t of shown) out.push(`${indent}  ${t.name} ${t.dtype} ${shape(t.shape)}`);
  if (r.tensors.length > shown.length) out.push(`${indent}  … ${r.tensors.length - shown.length} more`);
  return out;
}

function formatTorch(t: NonNullable<WeightsReport['torch']>, indent: string): string[] {
  const out: string[] = [];
  const dicts = t.stateDicts.map((d) => `'${d.key}' (${d.tensors})`);
  if (t.optimizerStateDicts > 0) dicts.push(`${t.optimizerStateDicts} of optimizer state, ignored`);
  if (t.problem) out.push(row('state dict', `NONE LISTED: ${t.problem}`, indent));
  else if (t.key !== null) out.push(row('state dict', `key '${t.key}', listed below (--key chooses; dicts of tensors: ${dicts.join(', ')})`, indent));
  for (const e of t.structure) {
    const depth = e.key.split('.').length - 1;
    const what = e.value !== undefined ? `${e.type} = ${e.value}` : `${e.type}${e.entries !== undefined ? ` (${e.entries} entries${e.tensors ? `, ${e.tensors} tensor(s)` : ''})` : ''}`;
    out.push(`${indent}  ${'  '.repeat(depth)}${e.key.split('.').at(-1)}: ${what}${e.stateDict ? ' ← state dict' : ''}`);
  }
  return out;
}

export function formatArtifact(r: ArtifactReport, indent = '  '): string[] {
  const c = r.config;
  return [
    row('format', r.format, indent),
    row('model', `${c.kind}, ${c.layers} layer(s), hidden ${c.hidden}, embed ${c.embedDim}, vocabulary ${n(r.vocabSize)}, labels ${r.labels.join(', ')}`, indent),
    row('optimizer', JSON.stringify(r.optimizer), indent),
    row('hyper', Object.entries(r.hyperparameters).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', '), indent),
    row('params', `${r.params.tensors} tensor(s), ${n(r.params.elements)} values; optimizer state ${r.state.tensors} tensor(s), ${n(r.state.elements)} values`, indent),
    row('train step', `${r.trainStep.file}: ${n(r.trainStep.nodes)} nodes, ${n(r.trainStep.bytes)} bytes, ${r.trainStep.inputs} inputs → ${r.trainStep.outputs} outputs`, indent),
    row('eval', `${r.eval.file}: ${r.eval.inputs} inputs → ${r.eval.outputs} outputs`, indent),
  ];
}

/** Where the best evaluation fell and its macro-F1, when the position records them (--eval-every, --select-by macro-f1). */
function bestOf(p: Record<string, unknown>): string {
  const f1 = typeof p.bestDevScore === 'number' && p.bestDevScore >= 0 ? ` (macro-F1 ${p.bestDevScore.toFixed(4)})` : '';
  return `${f1}${typeof p.bestStep === 'number' ? ` at step ${p.bestStep}` : ''}`;
}

/** A checkpoint's run record (metadata 'run'): how its best was chosen, or null when it has none. */
function selectionSettings(run: string | undefined): string | null {
  if (run === undefined) return null;
  let r: { selectBy?: unknown; evalEvery?: unknown };
  try {
    r = JSON.parse(run) as typeof r;
  } catch {
    return null;
  }
  const when = typeof r.evalEvery === 'number' ? `dev every ${r.evalEvery} steps and at epoch ends (--eval-every)` : 'dev at epoch ends';
  return `${when}; best by ${r.selectBy === 'macro-f1' ? 'macro-F1' : 'accuracy'}`;
}

export function formatRun(r: RunReport): string[] {
  const out = [`${r.dir}  (training run: ${r.files.map((f) => f.name).join(', ')})`];
  if (r.model) out.push('  model.onnx', ...formatOnnx(r.model, '    '));
  if (r.artifact) out.push('  artifact.json', ...formatArtifact(r.artifact, '    '));
  for (const c of r.checkpoints) {
    if (c.kind === 'error') out.push(`  ${c.file}: UNREADABLE: ${c.error}`);
    else {
      const p = c.position;
      const where = p ? `step ${p.step}, epoch ${Number(p.epoch) + 1}, best dev accuracy ${typeof p.bestDevAccuracy === 'number' && p.bestDevAccuracy >= 0 ? `${(100 * p.bestDevAccuracy).toFixed(2)}%` : 'n/a'}${bestOf(p)}` : 'no position record';
      out.push(`  ${c.file.split('/').at(-1)}: ${c.tensors.length} tensor(s), ${n(c.elements)} values, ${where}`);
      const settings = selectionSettings(c.metadata.run);
      if (settings) out.push(`    selection   ${settings}`);
    }
  }
  if (r.metrics) {
    const last = r.metrics.epochs.at(-1);
    const pct = (x: unknown): string => (typeof x === 'number' ? `${(100 * x).toFixed(2)}%` : 'n/a');
    const evals = r.metrics.evals > 0 ? `, ${r.metrics.evals} dev evaluation(s) inside epochs` : '';
    out.push(`  metrics.jsonl: ${r.metrics.epochs.length} epoch(s)${evals}${last ? `, last dev accuracy ${pct(last.devAccuracy)}` : ''}${r.metrics.test ? `, test accuracy ${pct(r.metrics.test.accuracy)}` : ''}`);
  }
  for (const e of r.errors) out.push(`  ${e.file}: UNREADABLE: ${e.error}`);
  return out;
}

/**
 * The report as text for a terminal. Names, metadata and doc strings come from the file: each
 * line is passed through printable(), so a control character in them (an escape sequence, a
 * carriage return, a bidi override) is shown as an escape and never acts on the terminal.
 */
export function formatReport(r: Report): string {
  const lines = (() => {
    switch (r.kind) {
      case 'onnx':
        return [`${r.file ?? '(bytes)'}`, ...formatOnnx(r)];
      case 'weights':
        return [r.file, ...formatWeights(r)];
      case 'artifact':
        return [r.file, ...formatArtifact(r)];
      case 'run':
        return formatRun(r);
    }
  })();
  return lines.map(printable).join('\n');
}
