// Ops used by the LSTM written as a Scan and by the LSTM gradient rule.
import { attr, type Value } from '../ir.js';
import { GraphBuildError } from '../errors.js';
import { fmt } from '../shape.js';
import { one, type OpOptions } from './util.js';

/**
 * ReverseSequence (opset 10): reverses each batch entry's first `lens[b]` steps along the
 * time axis and leaves the steps past its length where they are. Its own inverse.
 */
export function reverseSequence(
  x: Value,
  lens: Value,
  opts: OpOptions & { timeAxis?: 0 | 1; batchAxis?: 0 | 1 } = {},
): Value {
  const timeAxis = opts.timeAxis ?? 0;
  const batchAxis = opts.batchAxis ?? 1;
  if (timeAxis === batchAxis) throw new GraphBuildError(`ReverseSequence: time_axis and batch_axis are both ${timeAxis}`);
  if (lens.dtype !== 'int64') throw new GraphBuildError(`ReverseSequence: sequence_lens '${lens.name}' must be int64, found ${lens.dtype}`);
  if (x.rank !== null && x.rank < 2) throw new GraphBuildError(`ReverseSequence: '${x.name}' needs rank >= 2, found ${fmt(x.shape)}`);
  if (lens.rank !== null && lens.rank !== 1) throw new GraphBuildError(`ReverseSequence: sequence_lens '${lens.name}' must be 1-D, found ${fmt(lens.shape)}`);
  const attrs = { time_axis: attr.int(timeAxis), batch_axis: attr.int(batchAxis) };
  return one('ReverseSequence', [x, lens], attrs, x.dtype, x.shape, opts);
}
