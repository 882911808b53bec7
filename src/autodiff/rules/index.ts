// The built-in gradient table: every rule file exports its `rules`, collected here into one
// explicit table (no import is made for its side effect). Users add rules for their own ops
// with registerGradient (../registry.ts).
import type { GradientTable } from '../rule.js';
import { rules as addSub } from './add-sub.js';
import { rules as mulDiv } from './mul-div.js';
import { rules as pow } from './pow.js';
import { rules as activations } from './activations.js';
import { rules as expLog } from './exp-log.js';
import { rules as maxMin } from './max-min.js';
import { rules as whereClip } from './where-clip.js';
import { rules as matmul } from './matmul.js';
import { rules as gemm } from './gemm.js';
import { rules as transpose } from './transpose.js';
import { rules as reshape } from './reshape.js';
import { rules as concatSplit } from './concat-split.js';
import { rules as slice } from './slice.js';
import { rules as gather } from './gather.js';
import { rules as passthrough } from './passthrough.js';
import { rules as reduce } from './reduce.js';
import { rules as reduceMax } from './reduce-max.js';
import { rules as softmax } from './softmax.js';
import { rules as softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { rules as lstm } from './lstm.js';
import { NOT_DIFFERENTIABLE } from './not-differentiable.js';

/** Every built-in gradient rule, by ONNX op type. */
export const GRADIENTS: GradientTable = {
  ...addSub, ...mulDiv, ...pow, ...activations, ...expLog, ...maxMin, ...whereClip, ...matmul, ...gemm,
  ...transpose, ...reshape, ...concatSplit, ...slice, ...gather, ...passthrough, ...reduce, ...reduceMax,
  ...softmax, ...softmaxCrossEntropy, ...lstm,
};

export { NOT_DIFFERENTIABLE };
