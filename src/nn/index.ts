export { embedding, embeddingParamSpecs, fixPadRow } from './embedding.js';
export { linear, linearParamSpecs } from './linear.js';
export { scoped, paramsIn, uniformInit, type ParamSpec, type ParamInit, type ParamLayout } from './params.js';
export { highwayDense, highwayCombine, transformGate, type HighwayDenseParams } from './highway.js';
export { bilstm, plainBilstm, bilstmParams, bilstmParamSpecs, type BilstmParams } from './bilstm.js';
export {
  highwayBilstm,
  highwayBilstmParams,
  highwayBilstmParamSpecs,
  zeroPad,
  type CarryMode,
  type HighwayBilstmParams,
  type HighwayBilstmOptions,
} from './highway-bilstm.js';
export { maskedMaxPool, validSteps, FLOAT32_LOWEST } from './pooling.js';
