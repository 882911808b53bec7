// `inspect`: what is inside a model, weights file, training artifact or run directory.
export { inspectOnnxBytes, inspectOnnxModel, type OnnxReport, type LayerReport, type ValueReport, type ClassifierReport } from './onnx.js';
export { InspectError, inspectPath, inspectWeightsFile, artifactReport, type Report, type RunReport, type WeightsReport, type ArtifactReport } from './files.js';
export { formatReport } from './format.js';
