export { Graph, graphOf, Value, Node, attr, type GraphOptions, type Attr, type Dim, type Shape } from './ir.js';
export { GraphBuildError } from './errors.js';
export { toModel, graphToProto, valueInfo, irVersionFor, DEFAULT_OPSET, MIN_OPSET, type ModelOptions } from './emit.js';
export * as op from './ops/index.js';
