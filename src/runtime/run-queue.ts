// One-at-a-time execution of onnxruntime calls. onnxruntime-web sessions must not run
// concurrently (on WebGPU two overlapping runs hang forever; on WASM the runtime is one
// instance), and on WebGPU all sessions of a page or process share one GPU device, so
// creating, running and releasing sessions there goes through one queue per device.
// Browser-safe.

/** A FIFO mutex for async work: tasks run one after another in the order they were queued. */
export class RunQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Run `task` after every task queued before it has settled; resolves or rejects as `task` does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.waiting--,
      () => this.waiting--,
    );
    return result;
  }

  /** Tasks queued or running now. */
  get pending(): number {
    return this.waiting;
  }
}

/**
 * The queue of all WebGPU work in this JavaScript realm (a page, a worker, a Node process):
 * every session on the WebGPU device shares it.
 */
export const WEBGPU_QUEUE = new RunQueue();
