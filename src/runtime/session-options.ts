// onnxruntime-node session options for inference and training, in one place: the Predictor's
// loader, the training step and the benchmarks' raw reference session use the same ones, so
// "Predictor over a raw session" measures the Predictor and nothing else.
import type { InferenceSession } from 'onnxruntime-node';
import { ortLogSeverity } from './log.js';

export interface CpuSessionSettings {
  /** onnxruntime intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
  /**
   * Let idle intra-op threads spin between parallel sections (onnxruntime's default) instead of
   * sleeping. Default false: see cpuSessionOptions.
   */
  spin?: boolean;
}

/**
 * Session options for a session on any execution provider (the provider list is the caller's).
 * Log severity follows --verbose (errors only otherwise).
 *
 * Intra-op threads do not spin (`session.intra_op.allow_spinning = 0`). An LSTM runs one small
 * parallel section per time step; spinning threads burn a core between them, so whenever the
 * cores are shared (other processes, a second replica, a PyTorch job, this project's own test
 * workers) they take CPU from the thread doing the work. Measured on the 2-core bench machine
 * under load (`scripts/bench/session-options.ts`, interleaved windows, bench-results/
 * session-options.md): with spinning threads, 0.45–0.89× the throughput in all six cells
 * (1 and 4 layers, batch 1, 32, 256). PyTorch's comparable setting (OMP_WAIT_POLICY=PASSIVE)
 * is what the benchmarks give it too. Graph optimisation stays at onnxruntime's default
 * ('all'): 'basic' was slower in five of the six cells.
 */
export function cpuSessionOptions(s: CpuSessionSettings = {}): InferenceSession.SessionOptions {
  return {
    ...(s.threads ? { intraOpNumThreads: s.threads } : {}),
    logSeverityLevel: ortLogSeverity(),
    ...(s.spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  };
}
