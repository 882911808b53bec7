// Classification metrics from gold labels, predictions and logits: pure arithmetic, shared by
// evaluate() in Node and the browser. Definitions follow scikit-learn's classification_report
// (precision = TP / predicted, recall = TP / gold, F1 their harmonic mean; a class never
// predicted, or never present, scores 0 there, as sklearn's zero_division=0 does).
import { PredictInputError } from './errors.js';

/** Per-class scores. */
export interface ClassMetrics {
  label: string;
  /** TP / (TP + FP): of the examples predicted as this class, the fraction that are; 0 when none were predicted. */
  precision: number;
  /** TP / (TP + FN): of the examples of this class, the fraction found; 0 when the class has no examples. */
  recall: number;
  /** 2PR / (P + R); 0 when P + R = 0. */
  f1: number;
  /** Examples whose gold label is this class. */
  support: number;
}

/** What evaluate() reports about a labelled set. */
export interface EvalReport {
  /** Number of examples scored. */
  examples: number;
  /** Mean cross-entropy −log softmax(logits)[gold], in nats. */
  loss: number;
  /** Fraction of examples whose arg-max class is the gold one. */
  accuracy: number;
  /** Unweighted mean of the per-class F1 scores. */
  macroF1: number;
  /** Class names, in the model's order (the index order of `confusion` and `perClass`). */
  labels: string[];
  perClass: ClassMetrics[];
  /** confusion[gold][predicted]: example counts, [C, C]. */
  confusion: number[][];
}

/** log Σ exp(x), shifted by the maximum so large logits do not overflow. */
function logSumExp(x: readonly number[]): number {
  const m = Math.max(...x);
  let s = 0;
  for (const v of x) s += Math.exp(v - m);
  return m + Math.log(s);
}

/**
 * Metrics of predictions against gold labels. `gold[i]` and `predicted[i]` are class ids in
 * 0..labels.length-1; `logits[i]` holds the example's C raw scores (for the loss). Throws
 * PredictInputError (E_PREDICT_INPUT) when the lengths differ, the set is empty or an id is
 * out of range.
 */
export function classificationMetrics(labels: readonly string[], gold: readonly number[], predicted: readonly number[], logits: readonly (readonly number[])[]): EvalReport {
  const C = labels.length;
  const n = gold.length;
  if (n === 0) throw new PredictInputError('cannot evaluate an empty set: expected at least one labelled example, found 0');
  if (predicted.length !== n || logits.length !== n) {
    throw new PredictInputError(`gold, predicted and logits must have one entry per example: found ${n}, ${predicted.length} and ${logits.length}`);
  }
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const g = gold[i]!;
    const p = predicted[i]!;
    const z = logits[i]!;
    if (!Number.isInteger(g) || g < 0 || g >= C) throw new PredictInputError(`gold label of example ${i} is ${g}: expected a class id 0..${C - 1}`);
    if (!Number.isInteger(p) || p < 0 || p >= C) throw new PredictInputError(`predicted label of example ${i} is ${p}: expected a class id 0..${C - 1}`);
    if (z.length !== C) throw new PredictInputError(`logits of example ${i} have ${z.length} entries: expected ${C}`);
    confusion[g]![p]!++;
    loss += logSumExp(z) - z[g]!;
  }
  const perClass = labels.map((label, c): ClassMetrics => {
    const tp = confusion[c]![c]!;
    const predictedAs = confusion.reduce((s, row) => s + row[c]!, 0);
    const support = confusion[c]!.reduce((s, v) => s + v, 0);
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  const correct = confusion.reduce((s, row, c) => s + row[c]!, 0);
  return {
    examples: n,
    loss: loss / n,
    accuracy: correct / n,
    macroF1: perClass.reduce((s, m) => s + m.f1, 0) / C,
    labels: [...labels],
    perClass,
    confusion,
  };
}
