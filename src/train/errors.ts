import { CodedError } from '../errors.js';

/** The loss or gradient became NaN/Inf: training stops; the last good checkpoint stays. */
export class TrainingDivergedError extends CodedError {
  constructor(message: string) {
    super('E_DIVERGED', 'TrainingDivergedError', message);
  }
}

/** A training option no run can mean (lr ≤ 0, zero epochs, …), or options that exclude each other. */
export class TrainOptionsError extends CodedError {
  constructor(message: string) {
    super('E_TRAIN_OPTIONS', 'TrainOptionsError', message);
  }
}

/** The output directory already holds a run, and neither resume nor force was asked for. */
export class RunExistsError extends CodedError {
  constructor(message: string) {
    super('E_RUN_EXISTS', 'RunExistsError', message);
  }
}

/** Resume was asked for, but the directory has no checkpoint to continue from. */
export class NoCheckpointError extends CodedError {
  constructor(message: string) {
    super('E_NO_CHECKPOINT', 'NoCheckpointError', message);
  }
}

/** Resume with settings (or data) that differ from the checkpoint's; the message lists every difference. */
export class ResumeMismatchError extends CodedError {
  /** One entry per differing setting: `lr: 0.003 in the checkpoint, 0.5 now`. */
  readonly differences: string[];
  constructor(message: string, differences: string[]) {
    super('E_RESUME_MISMATCH', 'ResumeMismatchError', message);
    this.differences = differences;
  }
}

/** Parameters or optimizer state that do not fit the training step (missing, not float32, or of another shape). */
export class StepInputError extends CodedError {
  constructor(message: string) {
    super('E_STEP_INPUTS', 'StepInputError', message);
  }
}
