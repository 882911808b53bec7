import { CodedError } from '../errors.js';

/** A shape or type error found while building a graph; thrown at the line that built the node. */
export class GraphBuildError extends CodedError {
  constructor(message: string) {
    super('E_GRAPH_BUILD', 'GraphBuildError', message);
  }
}
