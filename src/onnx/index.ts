export * from './proto.js';
export * from './errors.js';
export * from './tensor.js';
export * from './metadata.js';
export * from './checker.js';
export * from './external.js';
export * from './digest.js';
export * from './quantize.js';
