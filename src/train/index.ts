export { train, loadTrainingData, type TrainResult, type EpochRecord } from './trainer.js';
export type { TrainOptions } from './options.js';
export { buildStepGraphs, type StepGraphs } from './step-graph.js';
export { TrainSession } from './train-session.js';
export { saveCheckpoint, loadCheckpoint, CheckpointError, type Checkpoint, type LoopPosition } from './checkpoint.js';
export { TrainingDivergedError } from './errors.js';
export { loadPretrainedEmbeddings, EmbeddingsFileError, type EmbeddingCoverage } from './embeddings.js';
