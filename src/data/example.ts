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
}
