// A run of the imported model at batch sizes fine-tuning will use, at import time: a batch
// size or length fixed at export (static input dims, a Reshape or Expand to an export-time
// shape the import could not rebuild) is refused here in one line with the re-export recipe,
// instead of surfacing as onnxruntime's error at the first fine-tuning step.
import * as ort from 'onnxruntime-node';
import { encodeModel, type ModelProto } from '../../onnx/proto.js';
import { createNodeSession } from '../../runtime/node.js';
import { ortMessage } from '../../runtime/ort-errors.js';
import { ImportError } from '../../onnx-import/context.js';
import { batchFeeds, type DataBinding } from './runner.js';

/** Batch × time shapes probed: one sentence, and a ragged batch of an odd size and length. */
export const PROBE_SHAPES: readonly (readonly [number, number])[] = [[1, 2], [5, 3]];

const RECIPE = "re-export with dynamic axes: torch.onnx.export(model, args, path, input_names=['ids', …], dynamic_axes={'ids': {0: 'batch', 1: 'time'}, 'lengths': {0: 'batch'}, 'logits': {0: 'batch'}})";

/**
 * Run `model` (its own input names, `binding`'s feeds) on token id 1 at each PROBE_SHAPES size.
 * Throws ImportError (E_ONNX_IMPORT) naming the size and onnxruntime's message when a run fails;
 * a model onnxruntime cannot load at all is ModelLoadError (E_MODEL_LOAD).
 */
export async function probeBatchSizes(model: ModelProto, binding: DataBinding): Promise<void> {
  const session = await createNodeSession(encodeModel(model), { threads: 1 });
  try {
    for (const [batch, time] of PROBE_SHAPES) {
      const lengths = Int32Array.from({ length: batch }, (_, i) => 1 + (i % time));
      const ids = new BigInt64Array(batch * time);
      for (let b = 0; b < batch; b++) for (let t = 0; t < lengths[b]!; t++) ids[b * time + t] = 1n;
      try {
        await session.run(batchFeeds(binding, { ids, lengths, batch, time }) as Record<string, ort.Tensor>);
      } catch (e) {
        throw new ImportError(`the model fails at batch ${batch}, length ${time} in onnxruntime (${ortMessage(e, 200)}): a model exported with a fixed batch size or length runs at that size only; ${RECIPE}`);
      }
    }
  } finally {
    await session.release();
  }
}
