// Fine-tuning imported ONNX graphs (onnx-import/): training step by the same autodiff →
// fine-tuned → exported with the original names.
export {
  buildImportedStep, buildImportedGradients, buildImportedEval, exportImported, chooseLogits, pruneUnusedInitializers,
  type ImportedStepGraphs, type ImportedTrainingOptions, type LogitsChoice,
} from './training.js';
export { ImportedTrainer, batchFeeds, detectBinding, type DataBinding, type ImportedTrainerOptions } from './session.js';
export { importOnnxRun, readImportRun, finetuneRun, RUN_FORMAT, type ImportRunInfo, type ImportRunOptions, type FinetuneOptions, type FinetuneResult } from './run.js';
