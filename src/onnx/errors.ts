import { CodedError } from '../errors.js';

/** Raised for bytes that are not a well-formed ONNX message. */
export class OnnxFormatError extends CodedError {
  constructor(message: string) {
    super('E_ONNX_FORMAT', 'OnnxFormatError', message);
  }
}

/** Raised by the structural checker; `problems` lists every violation found. */
export class OnnxCheckError extends CodedError {
  constructor(readonly problems: string[]) {
    super('E_ONNX_CHECK', 'OnnxCheckError', `ONNX model failed the structural check:\n  - ${problems.join('\n  - ')}`);
  }
}

/** A tensor of the model keeps its data outside the .onnx file (data_location EXTERNAL). */
export class ExternalDataError extends CodedError {
  constructor(message: string) {
    super('E_EXTERNAL_DATA', 'ExternalDataError', message);
  }
}

/** The model's content no longer matches the digest stored in its metadata when it was written. */
export class ModelDigestError extends CodedError {
  constructor(message: string) {
    super('E_MODEL_DIGEST', 'ModelDigestError', message);
  }
}
