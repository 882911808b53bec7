// Child of the kill -9 test: resumes from the checkpoint at argv[2] and saves
// checkpoints in a loop, every value of checkpoint k equal to k, printing "saved k" once
// saveCheckpoint has returned. The parent kills it with SIGKILL at a random moment.
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import type { Tensor } from '../../src/onnx/tensor.js';

const [path, size] = [process.argv[2]!, Number(process.argv[3] ?? 500_000)];
let step = (await loadCheckpoint(path)).position.step;
const tensor = (n: number): Tensor => ({ dtype: 'float32', dims: [n], data: new Float32Array(n) });
const params = new Map([['w', tensor(size)], ['b', tensor(7)]]);
const state = new Map([['w.adam.m', tensor(size)]]);
process.stdout.write(`ready ${step}\n`);
for (;;) {
  step++;
  for (const t of [...params.values(), ...state.values()]) (t.data as Float32Array).fill(step);
  await saveCheckpoint(path, { params, state, position: { step, epoch: 0, batchInEpoch: step, bestDevAccuracy: -1, bestEpoch: -1, epochsWithoutImprovement: 0, seed: 1 } });
  process.stdout.write(`saved ${step}\n`);
}
