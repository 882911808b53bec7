// ONNX graphs from other frameworks (torch.onnx.export, opset 13–17…21) → the builder IR: the
// inverse of graph/emit.ts. Fine-tuning what it imports lives in train/finetune/.
export { ImportError, IMPORT_CODE } from './context.js';
export { importOnnx, supportedOps, modelOpset, MAX_IMPORT_OPSET, type ImportedModel, type ImportOptions } from './importer.js';
