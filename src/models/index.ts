export * from './config.js';
export * from './init.js';
export * from './classifier.js';
export * from './classifier-metadata.js';
export * from './verify-graph.js';
export * from './text-input.js';
