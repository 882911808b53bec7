import { CodedError } from '../errors.js';

/** The loss or gradient became NaN/Inf: training stops; the last good checkpoint stays. */
export class TrainingDivergedError extends CodedError {
  constructor(message: string) {
    super('E_DIVERGED', 'TrainingDivergedError', message);
  }
}
