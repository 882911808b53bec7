export * from './errors.js';
export * from './device.js';
export * from './predictor.js';
export * from './node.js';
export * from './validate.js';
export * from './ort-errors.js';
export { availableNodeBackends } from './node-backends.js';
