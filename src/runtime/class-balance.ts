// What accuracy hides on imbalanced data: on 95/5 data a model that never predicts the minority
// class scores 95% accuracy. These summaries put the majority-class baseline, per-class recall
// and F1, balanced accuracy and macro-F1 beside it (scikit-learn's definitions), and flag a
// model that predicts one class only. Pure arithmetic, shared by `train` and `eval`.

/** Per-class recall and F1 (precision = TP / predicted as the class, recall = TP / gold). */
export interface ClassBalance {
  label: string;
  /** Examples whose gold label is this class. */
  support: number;
  /** Examples predicted as this class. */
  predicted: number;
  recall: number;
  f1: number;
}

/** Imbalance-aware summary of one labelled set. */
export interface BalanceSummary {
  examples: number;
  accuracy: number;
  /** Accuracy of always answering the most frequent gold class (ties: the first label). */
  majority: { label: string; accuracy: number };
  /** Mean recall over the classes present in the gold labels (sklearn's balanced_accuracy_score). */
  balancedAccuracy: number;
  /** Unweighted mean F1 over all classes (0 for a class never predicted or never present). */
  macroF1: number;
  perClass: ClassBalance[];
  /** Labels predicted at least once. */
  predictedLabels: string[];
  /** Set when the gold labels hold two or more classes but every prediction is one class. */
  warning: string | null;
}

/** confusion[gold][predicted] counts, [C, C], from class ids in 0..C-1. */
export function confusionMatrix(classes: number, gold: readonly number[], predicted: readonly number[]): number[][] {
  if (gold.length !== predicted.length) throw new RangeError(`confusionMatrix: ${gold.length} gold labels but ${predicted.length} predictions`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  gold.forEach((g, i) => {
    const p = predicted[i]!;
    if (!(g >= 0 && g < classes && p >= 0 && p < classes)) throw new RangeError(`confusionMatrix: example ${i} has gold ${g}, predicted ${p}; expected ids 0..${classes - 1}`);
    m[g]![p]!++;
  });
  return m;
}

/** The summary of a confusion matrix (confusion[gold][predicted], rows in `labels` order). */
export function balanceSummary(labels: readonly string[], confusion: readonly (readonly number[])[]): BalanceSummary {
  const C = labels.length;
  const n = confusion.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  const perClass = labels.map((label, c): ClassBalance => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, row) => s + row[c]!, 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    return { label, support, predicted, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
  });
  const correct = labels.reduce((s, _l, c) => s + confusion[c]![c]!, 0);
  const present = perClass.filter((k) => k.support > 0);
  const top = perClass.reduce((best, k) => (k.support > best.support ? k : best), perClass[0]!);
  const predictedLabels = perClass.filter((k) => k.predicted > 0).map((k) => k.label);
  const warning = present.length >= 2 && predictedLabels.length === 1
    ? `the model predicts only '${predictedLabels[0]}' (${present.length} classes in the gold labels): accuracy ${pct(n === 0 ? 0 : correct / n)} equals the share of that class; balanced accuracy ${pct(present.reduce((s, k) => s + k.recall, 0) / present.length)}`
    : null;
  return {
    examples: n,
    accuracy: n === 0 ? 0 : correct / n,
    majority: { label: top.label, accuracy: n === 0 ? 0 : top.support / n },
    balancedAccuracy: present.length === 0 ? 0 : present.reduce((s, k) => s + k.recall, 0) / present.length,
    macroF1: C === 0 ? 0 : perClass.reduce((s, k) => s + k.f1, 0) / C,
    perClass,
    predictedLabels,
    warning,
  };
}

/** One line: `accuracy 95.00% (majority 'neg' 95.00%) balanced 50.00% macro-F1 0.4872; recall neg 100.0% pos 0.0%`. */
export function formatBalance(b: BalanceSummary): string {
  const recalls = b.perClass.map((k) => `${k.label} ${pct(k.recall)}`).join(' ');
  const f1s = b.perClass.map((k) => `${k.label} ${k.f1.toFixed(3)}`).join(' ');
  return `accuracy ${pct(b.accuracy)} (majority '${b.majority.label}' ${pct(b.majority.accuracy)}), balanced accuracy ${pct(b.balancedAccuracy)}, macro-F1 ${b.macroF1.toFixed(4)}; recall ${recalls}; F1 ${f1s}`;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
