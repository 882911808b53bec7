/** A shape or type error found while building a graph; thrown at the line that built the node. */
export class GraphBuildError extends Error {
  readonly code = 'E_GRAPH_BUILD';
  constructor(message: string) {
    super(message);
    this.name = 'GraphBuildError';
  }
}
