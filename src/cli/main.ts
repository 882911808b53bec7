// The `highway-onnx` command.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEVICES, type Device } from '../runtime/device.js';
import { reportAndExit } from './errors.js';
import { predictCommand } from './predict.js';
import { buildGraphMain } from '../models/build-graph.js';

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, found '${v}'`);
  return n;
};
const deviceOption = (): Option => new Option('--device <device>', 'execution provider').choices([...DEVICES]).default('auto');

export function makeProgram(): Command {
  const program = new Command('highway-onnx')
    .description('Build, train and deploy Highway BiLSTM text classifiers through ONNX')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError();

  program
    .command('predict')
    .description('score texts (arguments, or one per line on stdin); prints JSON lines')
    .requiredOption('-m, --model <file>', 'model .onnx file')
    .addOption(deviceOption())
    .option('--batch <n>', 'largest batch sent to onnxruntime', positiveInt, 64)
    .option('--gates', 'include per-layer transform-gate activations per token')
    .argument('[texts...]', 'texts to score')
    .action(async (texts: string[], o: { model: string; device: Device; batch: number; gates?: boolean }) => {
      await predictCommand(texts, { model: o.model, device: o.device, batch: o.batch, gates: o.gates ?? false });
    });

  program
    .command('build-graph')
    .description('write Highway/plain BiLSTM classifier graphs (.onnx); see --help')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      await buildGraphMain(args);
    });

  return program;
}

/** Parse argv and run; failures end the process with one readable line. */
export async function runCli(argv: string[]): Promise<void> {
  const program = makeProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    reportAndExit(e, argv.includes('--verbose'));
  }
}
