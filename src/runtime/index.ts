export * from './errors.js';
export * from './device.js';
export * from './predictor.js';
export * from './node.js';
export * from './validate.js';
export { availableNodeBackends } from './node-backends.js';
export * from './metrics.js';
export * from './evaluate.js';
