// Ops with no gradient, listed explicitly so the driver's error says why (JAX's explicit
// "not differentiable" rules rather than a silent skip). Most have integer or bool outputs and
// never lie on a gradient path (the driver does not propagate through int/bool values); the
// entry documents the decision all the same. The second group is what the ONNX importer
// rebuilds as glue (usually on integer shape or index values): a model whose loss depends on
// one through a float path fails with the reason, naming the node.

const INTEGER_OR_BOOL_OUTPUT = 'its output is integer or bool: no gradient flows through it';
const PIECEWISE = 'piecewise constant: its gradient is zero almost everywhere, so the gradient path is cut here';
const GLUE = 'imported as glue (shape, index or bookkeeping values) and it has no gradient rule; training through it needs one in src/autodiff/rules/';

/** Reasons by op type, for ops that have no gradient rule on purpose. */
export const NOT_DIFFERENTIABLE: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    ['Shape', 'Size', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'ArgMax', 'ArgMin', 'NonZero']
      .map((opType) => [opType, INTEGER_OR_BOOL_OUTPUT]),
  ),
  Range: 'it builds index sequences; its inputs are not differentiated',
  ConstantOfShape: 'its output does not depend on any float input',
  OneHot: 'it builds an indicator from integer indices',
  Sign: 'piecewise constant: its gradient is zero almost everywhere; cut the path explicitly',
  Scan:
    'Scan bodies are not differentiated generically; an op built on a Scan (LSTM) carries its own rule, ' +
    'and a hand-written Scan needs one too (see src/autodiff/rules/lstm.ts)',
  Ceil: PIECEWISE,
  Floor: PIECEWISE,
  Round: PIECEWISE,
  Mod: PIECEWISE,
  CumSum: GLUE,
  GatherElements: GLUE,
  Pad: GLUE,
  ReduceL1: GLUE,
  ReduceL2: GLUE,
  ReduceLogSumExp: GLUE,
  ReduceProd: GLUE,
  ScatterElements: GLUE,
  ScatterND: GLUE,
  Tile: GLUE,
  TopK: `${GLUE} (torch exports pack_padded_sequence's sort as TopK over the lengths, which is integer)`,
};
