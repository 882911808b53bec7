// ONNX graphs from other frameworks (torch.onnx.export, opset 13–17…21) → the builder IR →
// training step by the same autodiff → fine-tuned → exported with the original names.
export { ImportError, IMPORT_CODE } from './context.js';
export { importOnnx, supportedOps, modelOpset, MAX_IMPORT_OPSET, type ImportedModel, type ImportOptions } from './importer.js';
export {
  buildImportedStep, buildImportedGradients, buildImportedEval, exportImported, chooseLogits, pruneUnusedInitializers,
  type ImportedStepGraphs, type ImportedTrainingOptions, type LogitsChoice,
} from './training.js';
export { ImportedTrainer, batchFeeds, detectBinding, type DataBinding, type ImportedTrainerOptions } from './session.js';
export { importOnnxRun, readImportRun, finetuneRun, RUN_FORMAT, type ImportRunInfo, type ImportRunOptions, type FinetuneOptions, type FinetuneResult } from './run.js';
