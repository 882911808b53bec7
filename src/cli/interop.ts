// `highway-onnx import-torch | export-torch | import-onnx | finetune`: interchange with
// PyTorch and with ONNX graphs other frameworks exported.
import { readFile, mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic-write.js';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { classifierToTorch, rawTextModel, torchToClassifierModel } from '../interop/export.js';
import { fitsTwinKeys } from '../interop/torch-map.js';
import { finetune, importOnnxRun } from '../train/finetune/index.js';
import { readWeightsFile, writeSafetensorsFile } from '../formats/weights-file.js';
import { readConfigFile } from '../models/build-graph.js';
import type { ModelConfig } from '../models/config.js';
import { DEFAULT_OPSET } from '../graph/index.js';
import { assertValidModel } from '../onnx/checker.js';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { DEVICES, type Device } from '../runtime/device.js';
import { UsageError } from './errors.js';
import { optimizerFromArgs } from './train.js';
import { addOptimizerOptions, externalDataOption, number, positiveInt, seedInt } from './args.js';

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

/** A vocabulary file: a JSON array of tokens in id order, a JSON object {token: id}, or one token per line. */
export async function readVocabFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read vocabulary '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(trimmed);
    } catch (e) {
      throw new UsageError(`vocabulary '${path}' is not valid JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(v) && v.every((t) => typeof t === 'string')) return v as string[];
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      const tokens: string[] = [];
      for (const [tok, id] of entries) {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length || tokens[id] !== undefined) {
          throw new UsageError(`vocabulary '${path}': token ${JSON.stringify(tok)} has id ${JSON.stringify(id)}; ids must be 0…${entries.length - 1}, each once`);
        }
        tokens[id] = tok;
      }
      return tokens;
    }
    throw new UsageError(`vocabulary '${path}' must be a JSON array of tokens or an object {token: id}`);
  }
  return text.split(/\r?\n/).filter((line, i, all) => line.length > 0 || i < all.length - 1);
}

function parseConfigArg(arg: string): Partial<ModelConfig> {
  if (arg.trim().startsWith('{')) {
    try {
      return JSON.parse(arg) as Partial<ModelConfig>;
    } catch (e) {
      throw new UsageError(`--config is not valid JSON: ${(e as Error).message}`);
    }
  }
  return readConfigFile(arg);
}

async function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFileAtomic(path, bytes);
}

const print = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

interface ImportTorchArgs { weights: string; config?: string; vocab?: string; out: string; opset: number; stripPrefix?: string; allowUnexpected?: boolean; key?: string }
interface ExportTorchArgs { model: string; out: string; configOut?: string }
interface ImportOnnxArgs {
  model: string; out: string; logitsOutput?: string; vocab?: string; labels?: string[]; freeze?: string[]; trainable?: string[];
  idsInput?: string; lengthsInput?: string; timeMajor?: boolean; externalData?: 'refuse' | 'model-folder';
}
interface FinetuneArgs {
  init: string; data: string; out?: string; fiveClass?: boolean; textColumn?: string; labelColumn?: string; optimizer: 'adam' | 'adamw' | 'sgd'; lr: number; momentum?: number;
  weightDecay?: number; clip: number; epochs: number; batch: number; maxSteps?: number; maxLen?: number; seed: number; vocab?: string;
  device: Device; threads?: number;
}

export async function importTorchCommand(a: ImportTorchArgs): Promise<void> {
  // A checkpoint wrapping the weights: the dict of tensors whose keys are the twin's, or --key.
  const fitsOpts = a.stripPrefix ? { stripPrefix: a.stripPrefix } : {};
  const { tensors, format, torch } = await readWeightsFile(a.weights, { ...(a.key !== undefined ? { key: a.key } : {}), fits: (keys) => fitsTwinKeys(keys, fitsOpts) });
  const vocab = a.vocab ? await readVocabFile(a.vocab) : undefined;
  const given = a.config ? parseConfigArg(a.config) : undefined;
  const { model, config } = torchToClassifierModel(tensors, {
    ...(given ? { config: given } : {}),
    ...(vocab ? { vocab } : {}),
    opset: a.opset,
    ...(a.stripPrefix ? { stripPrefix: a.stripPrefix } : {}),
    ...(a.allowUnexpected ? { allowUnexpected: true } : {}),
  });
  assertValidModel(model);
  const bytes = encodeModel(model);
  await writeBytes(a.out, bytes);
  // A state dict carries no class names: say which ones the model got when the config gave none.
  if (!given?.labels) {
    process.stderr.write(`highway-onnx: note: no labels given (a --config with "labels"), so the ${config.classes} classes are named ${config.labels.join(', ')}\n`);
  }
  print({ model: a.out, from: format, ...(torch ? { layout: torch.layout, key: torch.key } : {}), kind: config.kind, layers: config.layers, hidden: config.hidden, classes: config.classes, labels: config.labels, vocab: vocab ? vocab.length : null, bytes: bytes.length });
}

export async function exportTorchCommand(a: ExportTorchArgs): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(a.model));
  } catch (e) {
    throw new UsageError(`cannot read model '${a.model}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { tensors, config, metadata } = classifierToTorch(decodeModel(bytes));
  await mkdir(dirname(resolve(a.out)), { recursive: true });
  await writeSafetensorsFile(a.out, tensors, metadata);
  if (a.configOut) await writeBytes(a.configOut, new TextEncoder().encode(`${JSON.stringify(config, null, 1)}\n`));
  print({ weights: a.out, keys: tensors.size, kind: config.kind, layers: config.layers, ...(a.configOut ? { config: a.configOut } : {}) });
}

function parseMaxTokens(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-tokens must be a positive integer, found '${v}'`);
  return n;
}

export async function exportTextCommand(a: { model: string; out: string; vocab?: string; locale?: string; pretokenized?: boolean; unicodeByCaller?: boolean; maxTokens?: string }): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(a.model));
  } catch (e) {
    throw new UsageError(`cannot read model '${a.model}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const vocab = a.vocab ? await readVocabFile(a.vocab) : undefined;
  const model = rawTextModel(decodeModel(bytes), { ...(vocab ? { vocab } : {}), ...(a.locale ? { locale: a.locale } : {}), pretokenized: a.pretokenized ?? false, unicodeByCaller: a.unicodeByCaller ?? false, ...(a.maxTokens !== undefined ? { maxTokens: parseMaxTokens(a.maxTokens) } : {}) });
  const out = encodeModel(model);
  await writeBytes(a.out, out);
  print({ model: a.out, input: 'text', outputs: (model.graph?.output ?? []).map((o) => o.name), opset: 20, bytes: out.length });
}

export async function importOnnxCommand(a: ImportOnnxArgs): Promise<void> {
  const vocab = a.vocab ? await readVocabFile(a.vocab) : undefined;
  const info = await importOnnxRun(a.model, a.out, {
    ...(a.logitsOutput ? { logitsOutput: a.logitsOutput } : {}),
    ...(vocab ? { vocab } : {}),
    ...(a.labels ? { labels: a.labels } : {}),
    ...(a.freeze ? { freeze: a.freeze } : {}),
    ...(a.trainable ? { trainable: a.trainable } : {}),
    ...(a.idsInput ? { idsInput: a.idsInput } : {}),
    ...(a.lengthsInput ? { lengthsInput: a.lengthsInput } : {}),
    ...(a.timeMajor ? { timeMajor: true } : {}),
    ...(a.externalData ? { externalData: a.externalData } : {}),
  });
  print({
    run: a.out, opset: info.opset, logits: info.logitsOutput, ids: info.binding.idsInput, lengths: info.binding.lengthsInput,
    params: info.params.length, weights: info.params.reduce((n, p) => n + p.dims.reduce((x, y) => x * y, 1), 0),
    frozen: info.frozen.length, trainStepNodes: info.trainStep.nodes, vocab: info.vocab ? info.vocab.length : null,
    ...(info.binding.zeroStates ? { zeroStates: info.binding.zeroStates.map((z) => z.name) } : {}),
    ...(info.notes && info.notes.length > 0 ? { notes: info.notes } : {}),
  });
}

export async function finetuneCommand(a: FinetuneArgs): Promise<void> {
  const vocab = a.vocab ? await readVocabFile(a.vocab) : undefined;
  const r = await finetune({
    init: a.init,
    data: a.data,
    ...(a.out ? { out: a.out } : {}),
    fiveClass: a.fiveClass ?? false,
    ...(a.textColumn ? { textColumn: a.textColumn } : {}),
    ...(a.labelColumn ? { labelColumn: a.labelColumn } : {}),
    optimizer: optimizerFromArgs(a),
    lr: a.lr,
    epochs: a.epochs,
    batchSize: a.batch,
    ...(a.maxSteps ? { maxSteps: a.maxSteps } : {}),
    ...(a.maxLen ? { maxLen: a.maxLen } : {}),
    seed: a.seed,
    ...(vocab ? { vocab } : {}),
    device: a.device,
    ...(a.threads ? { threads: a.threads } : {}),
  });
  const last = r.epochs[r.epochs.length - 1];
  print({ model: r.modelPath, steps: r.steps, epochs: r.epochs.length, trainLoss: last?.trainLoss ?? null, devAccuracy: last?.devAccuracy ?? null });
}

/** Adds the interchange commands to the program. */
export function registerInteropCommands(program: Command): void {
  program
    .command('import-torch')
    .description('PyTorch twin weights (.pt state dict or .safetensors) → a self-contained classifier .onnx')
    .requiredOption('--weights <file>', 'state_dict of the PyTorch twin (scripts/torch/twin.py): torch.save .pt or .safetensors')
    .option('--config <json>', 'model config (file, or inline JSON); fields left out are inferred from the weights')
    .option('--vocab <file>', 'vocabulary: JSON array of tokens in id order, JSON {token: id}, or one token per line')
    .requiredOption('--out <model.onnx>', 'output model')
    .option('--opset <n>', 'ai.onnx opset', positiveInt, DEFAULT_OPSET)
    .option('--strip-prefix <p>', "remove this prefix from every key (e.g. 'module.')")
    .option('--allow-unexpected', 'ignore keys the twin does not have')
    .option('--key <path>', "where a checkpoint keeps the state dict, keys joined with '.' (e.g. state_dict, model.ema); default: the one dict of tensors that fits the twin")
    .action(importTorchCommand);

  program
    .command('export-torch')
    .description('classifier .onnx → safetensors with the PyTorch twin\'s state_dict keys (config in its metadata)')
    .requiredOption('--model <file>', 'highway-onnx classifier model')
    .requiredOption('--out <weights.safetensors>', 'output weights')
    .option('--config-out <json>', 'also write the model config here (for HighwayBiLSTMClassifier(config))')
    .action(exportTorchCommand);

  program
    .command('export-text')
    .description("classifier .onnx → a model that takes plain strings (input `text`): the tokenizer's rules 1–7 and the vocabulary lookup inside the graph (com.microsoft Tokenizer, RegexFullMatch, StringConcat, ai.onnx.ml LabelEncoder; opset 20)")
    .requiredOption('--model <file>', 'highway-onnx classifier model (with its vocabulary, or pass --vocab)')
    .requiredOption('--out <model.onnx>', 'output model')
    .option('--vocab <file>', 'vocabulary, when the model carries none')
    .option('--unicode-by-caller', "texts will arrive through the tokenizer's rule 0 (NFKC, invisible characters dropped, emoji set apart; social placeholders for a --tokenizer social model), which no ONNX op can do; recorded in the model, and loadModel/serve/the web entry apply it. Without it (or --pretokenized) export-text refuses, naming rule 0")
    .option('--max-tokens <n>', "with --unicode-by-caller: score each text's first n tokens, as predict does (default 1000, predict's --max-tokens default); fixed in the graph")
    .option('--pretokenized', "instead: texts will arrive already cut by the toolkit's tokenizer (tokenize(text).join(' ')); the graph only lower-cases and splits on spaces")
    .option('--locale <name>', "with --pretokenized: StringNormalizer locale (default 'C.UTF-8')")
    .action(exportTextCommand);

  program
    .command('import-onnx')
    .description('import an ONNX classifier (e.g. from torch.onnx.export) for fine-tuning: writes a run folder for `finetune --init`')
    .requiredOption('--model <file>', 'ONNX model (opset 13–17)')
    .requiredOption('--out <dir>', 'run folder')
    .option('--logits-output <name>', 'output holding the logits (default: detected)')
    .option('--vocab <file>', 'vocabulary for fine-tuning on text (default: from the model metadata)')
    .option('--labels <list>', 'class names, comma-separated', list)
    .option('--freeze <list>', 'initializers to keep fixed, comma-separated', list)
    .option('--trainable <list>', 'train only these initializers, comma-separated', list)
    .option('--ids-input <name>', 'input holding the token ids (default: the integer [batch, time] input)')
    .option('--lengths-input <name>', 'input holding the lengths (default: the integer [batch] input, if any)')
    .option('--time-major', 'the ids input is [time, batch]')
    .addOption(externalDataOption())
    .action(importOnnxCommand);

  const finetune = program.command('finetune');
  addOptimizerOptions(finetune, { lr: 0.001 });
  finetune
    .description('fine-tune an imported ONNX model (`import-onnx` run folder) on labelled text; writes <out>/model.onnx with the original input/output names')
    .requiredOption('--init <dir>', 'run folder written by import-onnx')
    .requiredOption('--data <dir>', 'data directory (SST train/dev/test.txt, or .tsv/.csv/.jsonl splits)')
    .option('--out <dir>', 'output folder (default: the --init folder)')
    .option('--five-class', 'SST 5-class instead of binary')
    .option('--text-column <name>', 'TSV/CSV column or JSONL field holding the text (default: text)')
    .option('--label-column <name>', 'TSV/CSV column or JSONL field holding the label (default: label)')
    .option('--epochs <n>', 'epochs', positiveInt, 1)
    .option('--batch <n>', 'batch size', positiveInt, 32)
    .option('--max-steps <n>', 'stop after this many steps', positiveInt)
    .option('--max-len <n>', 'truncate sentences to this many tokens', positiveInt)
    .option('--seed <n>', 'shuffling seed (0 to 2^32 − 1)', seedInt, 1)
    .option('--vocab <file>', 'vocabulary, when the run folder has none')
    .addOption(new Option('--device <device>', 'execution provider').choices([...DEVICES]).default('cpu'))
    .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt)
    .action(finetuneCommand);
}
