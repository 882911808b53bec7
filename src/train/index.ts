export { train, loadTrainingData, type TrainResult, type EpochRecord } from './trainer.js';
export { parseCheckpointEvery, checkTrainOptions, TRAIN_DEFAULTS, type TrainOptions, type CheckpointEvery } from './options.js';
export { restoreTerminalOnExit } from './progress.js';
export { RUN_FILES } from './run-dir.js';
export { buildStepGraphs, type StepGraphs } from './step-graph.js';
export { TrainSession } from './train-session.js';
export { saveCheckpoint, loadCheckpoint, CheckpointError, type Checkpoint, type LoopPosition } from './checkpoint.js';
export { TrainingDivergedError, TrainOptionsError, RunExistsError, NoCheckpointError, ResumeMismatchError } from './errors.js';
export { loadPretrainedEmbeddings, EmbeddingsFileError, type EmbeddingCoverage } from './embeddings.js';
