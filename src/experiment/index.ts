// The depth experiment: plain vs Highway BiLSTM across depths and seeds (Node only).
export * from './grid.js';
export { runExperiment, formatDuration, type RunExperimentOptions, type ExperimentSummary } from './runner.js';
export { writeReport, aggregate, resultsCsv, resultsMarkdown, accuracyChart, curvesChart, type Aggregate, type Stat } from './report.js';
export { readCellResults, type CellResult, type ExperimentRecord } from './results.js';
export { analyzeDeepest, gradientChart, type GradientReport } from './analysis.js';
export { buildGradientProbe, createGradientProbe, type ProbeMeasurement, type GradientProbe } from './gradients.js';
