// `highway-onnx serve`: the model over HTTP until SIGTERM/SIGINT, which finishes the requests
// in flight before exiting (a second signal exits at once). The server listens before the model
// loads (/healthz answers 503 until it serves), and SIGHUP loads the model file again: a model
// that passes vetting is swapped in, a bad one is refused with one coded line and the previous
// model keeps serving.
import { loadModel } from '../runtime/node.js';
import type { Device } from '../runtime/device.js';
import type { ExternalDataMode } from './args.js';
import type { Predictor } from '../runtime/predictor.js';
import { printable } from '../printable.js';
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
  /** Idle keep-alive timeout, ms (default DEFAULT_KEEP_ALIVE_MS). */
  keepAliveMs?: number;
  device: Device;
  threads?: number;
  shutdownGraceMs: number;
  /** Origins allowed to call from a browser (CORS); '*' allows any. */
  corsOrigin?: string[];
  /** 'model-folder': read external data from the model file's folder (default 'refuse'); reloads too. */
  externalData?: ExternalDataMode;
}

/** Commander collector for a repeatable, comma-separable flag: `--x a,b --x c` → ['a', 'b', 'c']. */
export const collectList = (v: string, previous: string[]): string[] => [...previous, ...v.split(',').map((x) => x.trim()).filter((x) => x !== '')];

const log = (line: string): void => {
  process.stderr.write(`highway-onnx: ${line}\n`);
};

const describe = (p: Predictor): string => {
  const c = p.info.config;
  const untrained = p.info.untrained !== undefined ? `, UNTRAINED (${printable(p.info.untrained)}): its predictions are noise` : '';
  return `${c.kind}, ${c.layers} layer(s), labels ${printable(p.labels.join('/'))}${untrained}`;
};

/**
 * Resolves once the server has shut down; sets process.exitCode (0 clean, 1 forced). A failure of
 * the first load throws (the CLI prints it as one line, exit 1); a failed reload only logs.
 */
export async function serveCommand(a: ServeArgs): Promise<void> {
  const server = new PredictServer(null, {
    maxBatch: a.maxBatch,
    maxWaitMs: a.maxWaitMs,
    maxBodyBytes: a.maxBodyBytes,
    maxTexts: a.maxTexts,
    maxChars: a.maxChars,
    ...(a.maxQueue ? { maxQueue: a.maxQueue } : {}),
    ...(a.maxConnections ? { maxConnections: a.maxConnections } : {}),
    ...(a.queueTimeoutMs !== undefined ? { queueTimeoutMs: a.queueTimeoutMs } : {}),
    ...(a.keepAliveMs !== undefined ? { keepAliveMs: a.keepAliveMs } : {}),
    ...(a.corsOrigin && a.corsOrigin.length > 0 ? { corsOrigins: a.corsOrigin } : {}),
  });
  // Listen first: probes get 503 {"status":"loading"} rather than a refused connection.
  const { url } = await server.listen(a.port, a.host);
  const load = (): Promise<Predictor> => loadModel(a.model, { device: a.device, maxBatch: a.maxBatch, ...(a.threads ? { threads: a.threads } : {}), ...(a.externalData ? { externalData: a.externalData } : {}) });

  let loaded = false;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) {
      log(`${sig} again: exiting now`);
      process.exit(1);
    }
    signalled = true;
    log(`${sig}: finishing requests in flight, then stopping (send ${sig} again to stop at once)`);
    void server.shutdown(a.shutdownGraceMs).then(async ({ forced }) => {
      await server.predictor?.release();
      log(forced ? 'stopped (some requests were cut off)' : 'stopped');
      process.exitCode = forced ? 1 : 0;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangup);
      // A model still loading (a slow or blocked read) would keep the process alive.
      if (!loaded) process.exit();
      resolveStopped();
    });
  };
  const onHangup = (): void => {
    if (server.isDraining) return;
    void server.reload(load).then((r) => {
      if (r.ok) log(`SIGHUP: reloaded ${a.model} (generation ${r.generation}: ${describe(r.predictor)}) on ${r.predictor.provider}; requests in flight finish on the previous model`);
      else if (!server.isDraining) log(`[${r.error.code}] SIGHUP: reload of ${a.model} failed, still serving generation ${r.generation}: ${printable(r.error.message.split('\n')[0]!)}`);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHangup);

  const first = await server.reload(load);
  if (!first.ok) {
    if (signalled) return stopped; // stopped while loading: the shutdown decides the exit code
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHangup);
    await server.shutdown(a.shutdownGraceMs);
    throw first.error;
  }
  loaded = true;
  log(`serving ${a.model} (${describe(first.predictor)}) on ${first.predictor.provider} at ${url} — max batch ${a.maxBatch}, max wait ${a.maxWaitMs} ms, keep-alive ${server.options.keepAliveMs} ms, max connections ${server.options.maxConnections}${a.corsOrigin?.length ? `, CORS origins ${printable(a.corsOrigin.join(' '))}` : ''}`);
  return stopped;
}
