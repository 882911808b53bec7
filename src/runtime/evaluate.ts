// evaluate(model, dataset): score a labelled set with a loaded model (Node or browser Predictor).
import type { Dataset, Example } from '../data/example.js';
import { PredictInputError } from './errors.js';
import { classificationMetrics, type EvalReport } from './metrics.js';
import type { Predictor } from './predictor.js';

/** A labelled set: examples whose `label` indexes `labels` (e.g. one split of a Dataset). */
export interface LabelledSet {
  examples: readonly Example[];
  /** Names of the example label ids; matched to the model's labels by name. */
  labels: readonly string[];
}

/**
 * Loss, accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix of `model`
 * on `data`. `data` is a LabelledSet, or a Dataset with a `split` to pick (default 'test'), or
 * bare examples whose label ids are the model's. Labels are matched by name, so a data set may
 * order its classes differently from the model; a label the model lacks throws
 * PredictInputError (E_PREDICT_INPUT). Prediction errors propagate (ModelRunError, …).
 */
export async function evaluate(
  model: Predictor,
  data: LabelledSet | readonly Example[] | Dataset,
  opts: { split?: 'train' | 'dev' | 'test' } = {},
): Promise<EvalReport> {
  const set: LabelledSet = isExamples(data)
    ? { examples: data, labels: model.labels }
    : 'examples' in data
      ? data
      : { examples: data[opts.split ?? 'test'], labels: data.labels };
  const modelLabels = model.labels;
  const toModel = set.labels.map((name) => modelLabels.indexOf(name));
  const gold = set.examples.map((e, i) => {
    const id = toModel[e.label];
    if (id === undefined || id < 0) {
      const name = set.labels[e.label];
      throw new PredictInputError(
        name === undefined
          ? `example ${i} has label id ${e.label}: expected 0..${set.labels.length - 1}`
          : `example ${i} has label '${name}', which the model does not know (its labels: ${modelLabels.join(', ')})`,
      );
    }
    return id;
  });
  const preds = set.examples.length === 0 ? [] : await model.predict(set.examples.map((e) => e.text));
  return classificationMetrics(modelLabels, gold, preds.map((p) => p.labelId), preds.map((p) => p.logits));
}

const isExamples = (d: LabelledSet | readonly Example[] | Dataset): d is readonly Example[] => Array.isArray(d);
