// Byte formats of other frameworks' weights (ground floor: no imports from the layers above):
// safetensors, PyTorch's zip and legacy .pt, the restricted unpickler. No Node-only imports;
// the file helpers live in ./weights-file.js.
export { InteropError } from './errors.js';
export {
  type DType, type NamedTensor, type TensorData, DTYPE_SIZE, DTYPES, bf16ToF32, f16ToF32,
} from './types.js';
export { MAX_HEADER_BYTES, type SafetensorsContents, readSafetensors, writeSafetensors } from './safetensors.js';
export { type TorchFile, readTorchCheckpoint, readTorchFile, readTorchStateDict } from './torch-pt.js';
export {
  type StateDictCandidate, type StateDictChoice, type StateDictOptions, type StructureEntry, chooseStateDict,
  describeTorchObject, stateDictCandidates,
} from './torch-checkpoint.js';
export { TorchTensor } from './torch-storage.js';
export { PyTuple, type PyGlobal, type UnpickleOptions, unpickle, unpickleAt } from './pickle.js';
export { MAX_DEFLATE_RATIO, type ZipLimits, readZipEntries } from './zip.js';
export { type WeightsContents, type WeightsFormat, type WeightsOptions, detectWeightsFormat, readWeights } from './weights.js';
