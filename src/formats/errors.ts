import { CodedError } from '../errors.js';

/**
 * Raised for malformed or refused interchange files (safetensors, PyTorch zips, pickles).
 * `code` names the layer that refused the input: 'E_SAFETENSORS', 'E_ZIP', 'E_PICKLE',
 * 'E_TORCH' (a well-formed pickle that is not a tensor state dict), 'E_TORCH_KEY' (a checkpoint
 * whose state dict cannot be chosen: none inside, several, or `key` names none), 'E_FORMAT'
 * (bytes that are none of the supported formats) or 'E_FILE' (readWeightsFile: missing,
 * a directory, or over 2 GiB). Messages say what was expected and what was found.
 */
export class InteropError extends CodedError {
  constructor(code: string, message: string) {
    super(code, 'InteropError', message);
  }
}
