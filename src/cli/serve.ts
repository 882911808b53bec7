// `highway-onnx serve`: the model over HTTP until SIGTERM/SIGINT, which finishes the requests
// in flight before exiting (a second signal exits at once).
import { loadModel } from '../runtime/node.js';
import type { Device } from '../runtime/device.js';
import { PredictServer } from '../serve/server.js';

export interface ServeArgs {
  model: string;
  port: number;
  host: string;
  maxBatch: number;
  maxWaitMs: number;
  maxBodyBytes: number;
  maxTexts: number;
  maxChars: number;
  maxQueue?: number;
  maxConnections?: number;
  queueTimeoutMs?: number;
  device: Device;
  threads?: number;
  shutdownGraceMs: number;
}

const log = (line: string): void => {
  process.stderr.write(`highway-onnx: ${line}\n`);
};

/** Resolves once the server has shut down; sets process.exitCode (0 clean, 1 forced). */
export async function serveCommand(a: ServeArgs): Promise<void> {
  const predictor = await loadModel(a.model, { device: a.device, maxBatch: a.maxBatch, ...(a.threads ? { threads: a.threads } : {}) });
  const server = new PredictServer(predictor, {
    maxBatch: a.maxBatch,
    maxWaitMs: a.maxWaitMs,
    maxBodyBytes: a.maxBodyBytes,
    maxTexts: a.maxTexts,
    maxChars: a.maxChars,
    ...(a.maxQueue ? { maxQueue: a.maxQueue } : {}),
    ...(a.maxConnections ? { maxConnections: a.maxConnections } : {}),
    ...(a.queueTimeoutMs !== undefined ? { queueTimeoutMs: a.queueTimeoutMs } : {}),
  });
  let url: string;
  try {
    ({ url } = await server.listen(a.port, a.host));
  } catch (e) {
    await predictor.release();
    throw e;
  }
  const c = predictor.info.config;
  log(`serving ${a.model} (${c.kind}, ${c.layers} layer(s), labels ${predictor.labels.join('/')}) on ${predictor.provider} at ${url} — max batch ${a.maxBatch}, max wait ${a.maxWaitMs} ms, max connections ${server.options.maxConnections}`);
  await new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled) {
        log(`${sig} again: exiting now`);
        process.exit(1);
      }
      signalled = true;
      log(`${sig}: finishing requests in flight, then stopping (send ${sig} again to stop at once)`);
      void server.shutdown(a.shutdownGraceMs).then(async ({ forced }) => {
        await predictor.release();
        log(forced ? 'stopped (some requests were cut off)' : 'stopped');
        process.exitCode = forced ? 1 : 0;
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
