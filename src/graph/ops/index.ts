export * from './elementwise.js';
export * from './shape-ops.js';
export * from './reduce.js';
export * from './nn.js';
export * from './scan.js';
export type { Operand, OpOptions } from './util.js';
export * from './compose.js';
