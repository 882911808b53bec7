// The defaults are spelled once (DEFAULT_CONFIG for the model, TRAIN_DEFAULTS for training): the
// command lines that offer them as flag defaults must offer the same values.
import { describe, expect, it } from 'vitest';
import { makeProgram } from './main.js';
import { experimentProgram } from './experiment.js';
import { DEFAULT_CONFIG } from '../models/config.js';
import { TRAIN_DEFAULTS, defaultOptimizer } from '../train/options.js';

const defaultsOf = (options: readonly { long?: string; defaultValue?: unknown }[]): Record<string, unknown> =>
  Object.fromEntries(options.map((o) => [o.long, o.defaultValue]));

describe('flag defaults', () => {
  it('train offers the model and training defaults', () => {
    const train = defaultsOf(makeProgram().commands.find((c) => c.name() === 'train')!.options);
    expect(train).toMatchObject({
      '--layers': DEFAULT_CONFIG.layers, '--hidden': DEFAULT_CONFIG.hidden, '--embed-dim': DEFAULT_CONFIG.embedDim,
      '--carry': DEFAULT_CONFIG.carry, '--gate-bias': DEFAULT_CONFIG.gateBias, '--dropout': DEFAULT_CONFIG.dropout,
      '--lr': TRAIN_DEFAULTS.lr, '--clip': defaultOptimizer().clipNorm, '--epochs': TRAIN_DEFAULTS.epochs,
      '--batch': TRAIN_DEFAULTS.batchSize, '--patience': TRAIN_DEFAULTS.patience, '--min-freq': TRAIN_DEFAULTS.minFreq, '--seed': TRAIN_DEFAULTS.seed,
    });
  });

  it('the experiment shares dropout, learning rate and batch size', () => {
    expect(defaultsOf(experimentProgram().options)).toMatchObject({ '--dropout': DEFAULT_CONFIG.dropout, '--lr': TRAIN_DEFAULTS.lr, '--batch': TRAIN_DEFAULTS.batchSize });
  });
});
