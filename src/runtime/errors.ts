import { CodedError } from '../errors.js';

/** The asked execution provider is not available in this onnxruntime build or machine. */
export class DeviceUnavailableError extends CodedError {
  constructor(message: string) {
    super('E_DEVICE_UNAVAILABLE', 'DeviceUnavailableError', message);
  }
}

/** Bad arguments to predict(): empty batch, ids out of range, text without a vocabulary. */
export class PredictInputError extends CodedError {
  constructor(message: string) {
    super('E_PREDICT_INPUT', 'PredictInputError', message);
  }
}

/** A model file that loads as ONNX but is not a highway-onnx classifier, or fails in onnxruntime. */
export class ModelLoadError extends CodedError {
  constructor(message: string) {
    super('E_MODEL_LOAD', 'ModelLoadError', message);
  }
}

/** The model's weights are missing, the wrong shape for its config, or hold NaN/Infinity. */
export class ModelWeightsError extends CodedError {
  constructor(message: string) {
    super('E_MODEL_WEIGHTS', 'ModelWeightsError', message);
  }
}

/** onnxruntime failed while running a loaded model, or the model returned non-finite probabilities. */
export class ModelRunError extends CodedError {
  constructor(message: string) {
    super('E_MODEL_RUN', 'ModelRunError', message);
  }
}

/**
 * The GPU device went away while a model used it (driver reset, the browser reclaimed it,
 * `GPUDevice.destroy()`): sessions on it are unusable. Load the model again; 'auto' falls back
 * to CPU/WASM.
 */
export class DeviceLostError extends CodedError {
  constructor(message: string) {
    super('E_DEVICE_LOST', 'DeviceLostError', message);
  }
}

/** predict() on a Predictor whose release() has been called (E_RELEASED). */
export class PredictorReleasedError extends CodedError {
  constructor(message: string) {
    super('E_RELEASED', 'PredictorReleasedError', message);
  }
}

/** predict() stopped by its AbortSignal between batches (E_ABORTED). */
export class PredictAbortedError extends CodedError {
  constructor(message: string) {
    super('E_ABORTED', 'PredictAbortedError', message);
  }
}
