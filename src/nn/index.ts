export { embedding } from './embedding.js';
export { linear } from './linear.js';
export { highwayDense, highwayCombine, transformGate, type HighwayDenseParams } from './highway.js';
export { bilstm, plainBilstm, type BilstmParams } from './bilstm.js';
export { highwayBilstm, zeroPad, type HighwayBilstmParams, type HighwayBilstmOptions } from './highway-bilstm.js';
export { maskedMaxPool, validSteps, FLOAT32_LOWEST } from './pooling.js';
