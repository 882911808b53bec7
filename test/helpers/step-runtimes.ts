// Step runtimes for tests of the step runner: onnxruntime-node with the outputs it allocates
// itself (the path onnxruntime-web takes), beside the runner's preallocated-output path.
import type * as ort from 'onnxruntime-node';
import { nodeStepRuntime } from '../../src/train/node-runtime.js';
import type { StepRuntime } from '../../src/train/step-runner.js';

/** onnxruntime-node on one CPU thread, and the same runtime with session outputs it allocates per run. */
export function nodeRuntimes(): { node: StepRuntime<ort.Tensor>; allocating: StepRuntime<ort.Tensor> } {
  const node = nodeStepRuntime({ device: 'cpu', threads: 1 });
  const allocating = {
    tensor: node.tensor,
    createSession: async (bytes: Uint8Array) => {
      const s = await node.createSession(bytes);
      return { run: (feeds: Record<string, ort.Tensor>) => s.run(feeds), release: () => s.release() };
    },
  } as StepRuntime<ort.Tensor>;
  return { node, allocating };
}
