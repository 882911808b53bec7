/** The asked execution provider is not available in this onnxruntime build or machine. */
export class DeviceUnavailableError extends Error {
  readonly code = 'E_DEVICE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'DeviceUnavailableError';
  }
}

/** Bad arguments to predict(): empty batch, ids out of range, text without a vocabulary. */
export class PredictInputError extends Error {
  readonly code = 'E_PREDICT_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'PredictInputError';
  }
}

/** A model file that loads as ONNX but is not a highway-onnx classifier, or fails in onnxruntime. */
export class ModelLoadError extends Error {
  readonly code = 'E_MODEL_LOAD';
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** The model's weights are missing, the wrong shape for its config, or hold NaN/Infinity. */
export class ModelWeightsError extends Error {
  readonly code = 'E_MODEL_WEIGHTS';
  constructor(message: string) {
    super(message);
    this.name = 'ModelWeightsError';
  }
}

/** onnxruntime failed while running a loaded model, or the model returned non-finite probabilities. */
export class ModelRunError extends Error {
  readonly code = 'E_MODEL_RUN';
  constructor(message: string) {
    super(message);
    this.name = 'ModelRunError';
  }
}
