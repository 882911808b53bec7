import type { SplitOrigin } from './truncate.js';

/** One labelled sentence; `label` indexes `Dataset.labels`. */
export interface Example {
  text: string;
  label: number;
}

/** The three splits share one label list, so label ids mean the same everywhere. */
export interface Dataset {
  train: Example[];
  dev: Example[];
  test: Example[];
  labels: string[];
  /** Where each example was read from (file, and 1-based line per example), when it came from files. */
  origin?: Record<'train' | 'dev' | 'test', SplitOrigin>;
}
