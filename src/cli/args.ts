// Argument parsers shared by the command-line entry points: a bad value is a usage error
// naming what was expected and what was found.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { TRAIN_DEFAULTS } from '../train/options.js';

export const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, found '${v}'`);
  return n;
};

/**
 * A random seed: an integer from 0 to 2^32 − 1 (the generator's whole state). 0 is a seed like any
 * other (PyTorch users seed with 0): mulberry32 steps its state before every draw.
 */
export const seedInt = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`expected an integer from 0 to 4294967295, found '${v}'`);
  return n;
};

export const number = (v: string): number => {
  const n = Number(v);
  // Number('') is 0: an empty value is not a number.
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, found '${v}'`);
  return n;
};

export const positiveNumber = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, found '${v}'`);
  return n;
};

export const nonNegativeNumber = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, found '${v}'`);
  return n;
};

/** Where a model's external data may be read from: nowhere (the default), or the model file's own folder. */
export type ExternalDataMode = 'refuse' | 'model-folder';

/**
 * `--external-data refuse|model-folder`, one flag for predict, eval, inspect, import-onnx and
 * serve (API: LoadOptions.externalData). Never the working directory.
 */
export const externalDataOption = (): Option => new Option('--external-data <where>',
  "tensors kept in other files (large exports): 'model-folder' reads them from the model file's own folder only (no '..', no symbolic link out of it, never the working directory)")
  .choices(['refuse', 'model-folder']).default('refuse');

/** The optimizer flags shared by `train` and `finetune` (see optimizerFromArgs in train.ts). */
export function addOptimizerOptions(cmd: Command, defaults: { lr: number }): Command {
  return cmd
    .addOption(new Option('--optimizer <kind>', 'optimizer').choices(['adam', 'adamw', 'sgd']).default('adam'))
    .option('--lr <x>', 'learning rate (> 0)', positiveNumber, defaults.lr)
    .option('--momentum <m>', 'SGD momentum', nonNegativeNumber)
    .option('--weight-decay <w>', 'weight decay', nonNegativeNumber)
    .option('--clip <norm>', 'global gradient-norm clip (0: off)', nonNegativeNumber, TRAIN_DEFAULTS.clipNorm);
}

/** Any integer (negative and zero included: the config check names the allowed range). */
export const integer = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, found '${v}'`);
  return n;
};
