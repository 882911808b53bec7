// The StepRuntime the profiling benches train through: onnxruntime-node on CPU with updated
// parameters written into preallocated outputs (as nodeStepRuntime does on CPU), and onnxruntime's
// profiler on the first session opened — the training step's (openClassifierRunner opens it
// before the evaluation graph's).
import * as ort from 'onnxruntime-node';
import type { RuntimeSession, StepRuntime } from '../../src/train/step-runner.js';
import { cpuSessionOptions } from '../../src/runtime/session-options.js';

/**
 * A profiling StepRuntime with `threads` intra-op threads; profiles go to files starting with
 * `profileFilePrefix` (a path). `sessions` lists the sessions opened, in order: end the step
 * session's profile with `sessions[0].endProfiling()`.
 */
export function profiledStepRuntime(threads: number, profileFilePrefix: string): { runtime: StepRuntime<ort.Tensor>; sessions: ort.InferenceSession[] } {
  const sessions: ort.InferenceSession[] = [];
  const runtime = {
    tensor: (type: 'float32' | 'int64' | 'int32', d: Float32Array | BigInt64Array | Int32Array, dims: readonly number[]) => new ort.Tensor(type, d, dims),
    createSession: async (bytes: Uint8Array) => {
      const s = await ort.InferenceSession.create(bytes, { ...cpuSessionOptions({ threads }), interOpNumThreads: 1, enableProfiling: sessions.length === 0, profileFilePrefix });
      sessions.push(s);
      return {
        run: (feeds: Record<string, ort.Tensor>, fetches?: Record<string, ort.Tensor | null>) => (fetches ? s.run(feeds, fetches) : s.run(feeds)),
        release: () => s.release(),
        preallocatedOutputs: true,
      } as RuntimeSession<ort.Tensor>;
    },
  } as unknown as StepRuntime<ort.Tensor>;
  return { runtime, sessions };
}
