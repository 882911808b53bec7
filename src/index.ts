// Public API of highway-onnx (Node). The browser entry is src/web.
export * from './onnx/index.js';
export { Graph, Value, Node, op, toModel, GraphBuildError, DEFAULT_OPSET, type ModelOptions, type Shape, type Dim } from './graph/index.js';
export * from './models/config.js';
export { buildClassifier, classifierModel } from './models/classifier.js';
export { readClassifierMetadata } from './models/classifier-metadata.js';
export { initParams } from './models/init.js';
export { evaluate, classificationMetrics, type EvalReport, type ClassMetrics, type LabelledSet } from './runtime/index.js';
export { loadModel, Predictor, type Prediction, type LoadOptions, type Device, DeviceUnavailableError, DeviceLostError, PredictInputError, PredictorReleasedError, PredictAbortedError, type TokenIds, ModelLoadError, ModelWeightsError, ModelRunError, setRuntimeVerbose, probeNodeWebgpu, type GpuAdapterSummary, type WebgpuProbe } from './runtime/index.js';
export { verifyClassifierGraph, ModelGraphError, type GraphVerification } from './models/verify-graph.js';
export { readTextInputContract, TEXT_INPUT_KEY, type TextInputContract } from './models/text-input.js';
export { gradients, registerGradient, registerNotDifferentiable, refuse, GRADIENTS, MissingGradientError, type GradRule, type GradContext } from './autodiff/index.js';
export { train, buildStepGraphs, TrainSession, saveCheckpoint, loadCheckpoint, TrainingDivergedError, type TrainOptions, type TrainResult } from './train/index.js';
export { addTrainingStep, StepRunner, TrainingLoop, openNodeClassifierRunner, type StepInfo, type EpochEnd, type TrainCallbacks } from './train/index.js';
export { tokenize, applyRule0, Vocabulary, Rng, builtinDataset, type Dataset, type Example } from './data/index.js';
export { readDataset } from './data/files.js';
export { PredictServer, createPredictServer, createRequestHandler, HttpError, CorsOriginError, ServeModeError, type ServeOptions, type PredictRequestHandler, type RequestHandlerOptions, type MetricsOptions } from './serve/index.js';
export { inspectPath, inspectOnnxBytes, formatReport, InspectError, type Report } from './inspect/index.js';
