/** The loss or gradient became NaN/Inf: training stops; the last good checkpoint stays. */
export class TrainingDivergedError extends Error {
  readonly code = 'E_DIVERGED';
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}
