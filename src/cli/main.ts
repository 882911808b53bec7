// The `highway-onnx` command.
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEVICES, type Device } from '../runtime/device.js';
import { setRuntimeVerbose } from '../runtime/log.js';
import { reportAndExit, UsageError } from './errors.js';
import { predictCommand } from './predict.js';
import { buildGraphCommand, defineBuildGraphCommand, type BuildGraphFlags } from './build-graph.js';
import { trainCommand, type TrainArgs } from './train.js';
import { evalCommand, type EvalArgs } from './eval.js';
import { registerInteropCommands } from './interop.js';
import { collectList, serveCommand, type ServeArgs } from './serve.js';
import { inspectCommand } from './inspect.js';
import { DEFAULT_MAX_TOKENS } from '../runtime/predictor.js';
import { addOptimizerOptions, externalDataOption, number, positiveInt, seedInt, type ExternalDataMode } from './args.js';
import { packageVersion } from './version.js';
import { exportCommand, type ExportArgs } from './export.js';
import { EXPORT_DTYPES } from '../onnx/quantize.js';
import { SETUP_TARGETS, setupProvider, type SetupTarget } from './setup.js';
import { registerSweepCommands } from './sweep.js';
import { DEFAULT_CONFIG } from '../models/config.js';
import { TRAIN_DEFAULTS } from '../train/options.js';

const deviceOption = (): Option => new Option('--device <device>', 'execution provider').choices([...DEVICES]).default('auto');

export function makeProgram(): Command {
  const program = new Command('highway-onnx')
    .description('Build, train and deploy Highway BiLSTM text classifiers through ONNX')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--verbose', "print stack traces on errors, onnxruntime's warnings and the GPU driver log")
    // Usage errors reach runCli as CommanderErrors and leave as one line, like every other error.
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  program
    .command('predict')
    .description('score texts (arguments, or one per line on stdin); prints JSON lines')
    .requiredOption('-m, --model <file>', 'model .onnx file')
    .addOption(deviceOption())
    .option('--batch <n>', 'largest batch sent to onnxruntime', positiveInt, 64)
    .option('--gates', 'include per-layer transform-gate activations per token')
    .option('--max-chars <n>', 'longest text accepted, in characters', positiveInt, 100_000)
    .option('--max-tokens <n>', 'longer texts are scored on their first n tokens (the row says "truncated")', positiveInt, DEFAULT_MAX_TOKENS)
    .addOption(externalDataOption())
    .argument('[texts...]', 'texts to score')
    .action(async (texts: string[], o: { model: string; device: Device; batch: number; gates?: boolean; maxChars: number; maxTokens: number; externalData: ExternalDataMode }) => {
      await predictCommand(texts, { model: o.model, device: o.device, batch: o.batch, gates: o.gates ?? false, maxChars: o.maxChars, maxTokens: o.maxTokens, externalData: o.externalData });
    });

  const trainCmd = program.command('train');
  addOptimizerOptions(trainCmd, { lr: TRAIN_DEFAULTS.lr });
  trainCmd
    .addOption(new Option('--embedding-update <how>', "Adam's embedding update: dense (every row, torch.optim.Adam) or lazy (rows in the batch only, torch.optim.SparseAdam)").choices(['dense', 'lazy']))
    .description('train a Highway (or plain) BiLSTM classifier; writes <out>/model.onnx and the training artifact')
    .option('--data <dir>', 'data directory (SST train/dev/test.txt sentences or trees, or .tsv/.csv/.jsonl splits); default: built-in data')
    .addOption(new Option('--format <fmt>', 'data format (default: detected)').choices(['sst', 'trees', 'tsv', 'csv', 'jsonl']))
    .option('--five-class', 'SST 5-class instead of binary')
    .option('--phrases', 'SST trees: train on every labelled phrase (dev/test stay whole sentences)')
    .option('--distinct-phrases', 'like --phrases, one example per distinct phrase and label')
    .option('--text-column <name>', 'TSV/CSV column or JSONL field holding the text (default: text)')
    .option('--label-column <name>', 'TSV/CSV column or JSONL field holding the label (default: label)')
    .option('--out <dir>', 'output directory', 'runs/default')
    .option('--layers <n>', 'number of BiLSTM layers', positiveInt, DEFAULT_CONFIG.layers)
    .option('--plain', 'stacked plain BiLSTMs (no highway gate)')
    .option('--hidden <n>', 'hidden units per direction', positiveInt, DEFAULT_CONFIG.hidden)
    .option('--embed-dim <n>', 'embedding width', positiveInt, DEFAULT_CONFIG.embedDim)
    .addOption(new Option('--carry <mode>', 'highway carry').choices(['projection', 'identity', 'zero-pad']).default(DEFAULT_CONFIG.carry))
    .option('--gate-bias <b>', 'initial transform-gate bias', number, DEFAULT_CONFIG.gateBias)
    .option('--dropout <p>', 'dropout probability', number, DEFAULT_CONFIG.dropout)
    .option('--epochs <n>', 'maximum epochs', positiveInt, TRAIN_DEFAULTS.epochs)
    .option('--batch <n>', 'batch size', positiveInt, TRAIN_DEFAULTS.batchSize)
    .option('--patience <n>', 'early stop after this many epochs without dev improvement', positiveInt, TRAIN_DEFAULTS.patience)
    .option('--eval-every <steps>', 'also evaluate dev every this many steps; every evaluation competes for the best checkpoint (default: epoch ends only)', positiveInt)
    .option('--min-freq <n>', 'minimum token frequency for the vocabulary', positiveInt, TRAIN_DEFAULTS.minFreq)
    .option('--max-len <n>', 'cut sentences to this many tokens, with a warning naming them (default 512)', positiveInt)
    .option('--embeddings <file>', 'pretrained word vectors (word2vec/GloVe text) for the embedding rows of vocabulary words')
    .option('--seed <n>', 'random seed (0 to 2^32 − 1)', seedInt, TRAIN_DEFAULTS.seed)
    .addOption(deviceOption().default('cpu'))
    .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt)
    .option('--resume', 'continue from <out>/checkpoint.safetensors; options not given are the checkpoint\'s')
    .option('--allow-changes', 'with --resume: accept options that differ from the checkpoint\'s')
    .option('--force', 'replace an existing run in --out')
    .option('--checkpoint-every <n|time>', 'checkpoint inside epochs every n steps or every 90s/5m/1h (default 1m)')
    .option('--max-steps <n>', 'stop (with a checkpoint) after this many steps', positiveInt)
    .addOption(new Option('--tokenizer <rules>', "tokenizer rules: 'social' adds the social-media placeholders (<url>, <user>, hashtag words, <number>, <rating-…>)").choices(['sst', 'social']).default('sst'))
    .addOption(new Option('--class-weights <w>', "per-class loss weights: 'balanced' = n / (classes · n_class)").choices(['none', 'balanced']).default('none'))
    .addOption(new Option('--select-by <metric>', 'dev metric that picks the best checkpoint and drives early stopping').choices(['accuracy', 'macro-f1']).default('accuracy'))
    .option('--keep-vocab', "with --resume on changed data: continue on it with the run's vocabulary and labels")
    .option('--no-progress', 'no progress bar')
    .action(async (o: TrainArgs, cmd: Command) => {
      await trainCommand(o, (k) => cmd.getOptionValueSource(k) === 'cli');
    });

  program
    .command('eval')
    .description('loss, accuracy, per-class precision/recall/F1, macro-F1 and confusion matrix on a data directory split or a labelled file')
    .requiredOption('-m, --model <file>', 'model .onnx file')
    .option('--data <dir>', 'data directory, as for train (SST train/dev/test.txt, or .tsv/.csv/.jsonl splits)')
    .addOption(new Option('--split <name>', 'split of --data to score').choices(['train', 'dev', 'test']).default('test'))
    .option('--file <path>', 'one labelled file instead of --data')
    .addOption(new Option('--format <fmt>', 'file format (default: from the extension; .txt trees are detected)').choices(['sst', 'trees', 'tsv', 'csv', 'jsonl']))
    .option('--five-class', 'SST 5-class labels')
    .option('--text-column <name>', 'TSV/CSV column or JSONL field holding the text (default: text)')
    .option('--label-column <name>', 'TSV/CSV column or JSONL field holding the label (default: label)')
    .addOption(deviceOption())
    .option('--batch <n>', 'batch size', positiveInt, 64)
    .option('--json', 'print the report as JSON')
    .option('--max-chars <n>', 'longest text accepted, in characters (a longer one is an error naming its line)', positiveInt, 100_000)
    .addOption(externalDataOption())
    .action(async (o: EvalArgs) => {
      await evalCommand(o);
    });

  defineBuildGraphCommand(program.command('build-graph')).action(async (o: BuildGraphFlags) => {
    await buildGraphCommand(o);
  });

  // serve + inspect (deploy and harden)
  program
    .command('serve')
    .description('serve the model over HTTP: POST /v1/predict {"texts": [...]}, GET /healthz, GET /metrics; SIGHUP reloads the model file')
    .requiredOption('-m, --model <file>', 'model .onnx file')
    .option('--port <n>', 'TCP port (0: any free port)', nonNegativeInt, 8080)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--max-batch <n>', 'most texts in one onnxruntime run', positiveInt, 32)
    .option('--max-wait-ms <ms>', 'longest a text waits for others to fill its batch (never when no other request is arriving)', nonNegativeNumber, 5)
    .option('--max-body-bytes <n>', 'largest request body', positiveInt, 1 << 20)
    .option('--max-texts <n>', 'most texts per request', positiveInt, 256)
    .option('--max-chars <n>', 'longest text, in characters', positiveInt, 10_000)
    .option('--max-queue <n>', 'texts allowed to wait before requests get 503 (default 16 × max batch, at least 1024)', positiveInt)
    .option('--queue-timeout-ms <ms>', 'how long a request waits for room in a full queue before it gets 503 (default 1000)', nonNegativeNumber)
    .option('--max-connections <n>', 'open connections before the least active is closed for a newcomer (default: file-descriptor limit − 128)', positiveInt)
    .addOption(deviceOption())
    .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt)
    .option('--shutdown-grace-ms <ms>', 'on SIGTERM, how long in-flight requests may take', positiveInt, 30_000)
    .option('--keep-alive-ms <ms>', 'how long an idle keep-alive connection stays open (default 65000: longer than load balancers\' idle timeouts, e.g. AWS ALB\'s 60 s)', positiveInt)
    .option('--cors-origin <origin>', 'let pages on this origin call the server from a browser (CORS; repeat or comma-separate; "*": any origin)', collectList, [])
    .addOption(externalDataOption())
    .action(async (o: ServeArgs) => {
      await serveCommand(o);
    });

  program
    .command('inspect')
    .description('show what is inside an .onnx model, a .safetensors/.pt file, artifact.json or a training run directory')
    .argument('<path>', 'file or run directory')
    .option('--json', 'print the report as JSON')
    .option('--key <path>', "a .pt checkpoint: list the state dict at this key (keys joined with '.', as import-torch --key)")
    .addOption(externalDataOption())
    .action(async (path: string, o: { json?: boolean; key?: string; externalData: ExternalDataMode }) => {
      await inspectCommand(path, o);
    });
  // end serve + inspect

  program
    .command('export')
    .description('write the model with smaller stored weights (fp16, or int8 embedding rows); standard ai.onnx ops, loads wherever the original does')
    .requiredOption('-m, --model <file>', 'model .onnx file')
    .requiredOption('--out <file>', 'output .onnx file')
    .addOption(new Option('--dtype <dtype>', 'weight storage').choices([...EXPORT_DTYPES]).makeOptionMandatory())
    .addOption(new Option('--weights <dtype>', 'with --dtype int8: the other weights (LSTM, dense)').choices(['fp16', 'fp32']).default('fp16'))
    .action(async (o: ExportArgs) => {
      await exportCommand(o);
    });

  program
    .command('setup')
    .description("install an optional onnxruntime-node execution provider: 'cuda' (CUDA 12; downloads from api.nuget.org)")
    .addArgument(new Argument('<provider>', 'provider to install').choices(Object.keys(SETUP_TARGETS)))
    .action(async (provider: SetupTarget) => {
      await setupProvider(provider);
    });

  // import-torch, export-torch, import-onnx, finetune (interchange: src/cli/interop.ts)
  registerInteropCommands(program);

  // sweep, sweep status, worker (sweeps and searches over a BullMQ queue: src/cli/sweep.ts)
  registerSweepCommands(program);

  return program;
}

const nonNegativeInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected an integer from 0 to 65535, found '${v}'`);
  return n;
};
const nonNegativeNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, found '${v}'`);
  return n;
};

/** Parse argv and run; failures end the process with one readable line. */
export async function runCli(argv: string[]): Promise<void> {
  const program = makeProgram();
  setRuntimeVerbose(argv.includes('--verbose'));
  try {
    // An unknown command is an error even with --help (commander would print the top-level
    // help and exit 0). The only top-level options take no value, so the first word is it.
    const word = argv.slice(2).find((a) => !a.startsWith('-'));
    if (word !== undefined && word !== 'help' && !program.commands.some((c) => c.name() === word || c.aliases().includes(word))) {
      throw new UsageError(`unknown command '${word}' (see 'highway-onnx --help')`);
    }
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help/--version (exit 0) and bare help (already printed) need no error line.
      if (e.exitCode === 0 || e.code === 'commander.help' || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(e.exitCode);
      const sub = argv.slice(2).find((a) => program.commands.some((c) => c.name() === a));
      const message = e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      reportAndExit(new UsageError(`${message} (see 'highway-onnx ${sub ? `${sub} ` : ''}--help')`), argv.includes('--verbose'));
    }
    reportAndExit(e, argv.includes('--verbose'));
  }
}
