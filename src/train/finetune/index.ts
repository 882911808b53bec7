// Fine-tuning imported ONNX graphs (onnx-import/): training step by the same autodiff →
// fine-tuned → exported with the original names.
export {
  buildImportedStep, buildImportedGradients, buildImportedEval, exportImported, chooseLogits, pruneUnusedInitializers,
  type ImportedStepGraphs, type ImportedTrainingOptions, type LogitsChoice,
} from './training.js';
export { openImportedRunner, importedFeeder, batchFeeds, bindingFeeds, detectBinding, type DataBinding, type ImportedBatch, type ImportedRunner, type ImportedRunnerOptions } from './runner.js';
export { importOnnxRun, readImportRun, finetune, RUN_FORMAT, type ImportRunInfo, type ImportRunOptions, type FinetuneOptions, type FinetuneResult } from './run.js';
