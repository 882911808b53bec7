// PredictServers inside the test process, on 127.0.0.1 (process.ts runs `serve` as a child
// process instead): quiet (no log lines), and shut down after the test file's tests.
import { afterAll } from 'vitest';
import { PredictServer, type ServeOptions } from '../../src/serve/server.js';
import type { Predictor } from '../../src/runtime/predictor.js';

/** The servers of one test file. */
export interface InProcessServers {
  /** A quiet standalone server, not listening yet, shut down after the file's tests. */
  create(predictor: Predictor | null, opts?: ServeOptions): PredictServer;
  /** A quiet standalone server listening on 127.0.0.1 at a free port, shut down after the file's tests. */
  start(predictor: Predictor | null, opts?: ServeOptions): Promise<{ url: string; server: PredictServer }>;
}

/**
 * Call once at the top level of a test file: registers an afterAll that shuts down every server
 * made through the result (1 s grace), so none outlives its file. Options override the quiet log.
 */
export function inProcessServers(): InProcessServers {
  const servers: PredictServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.shutdown(1000)));
  });
  const create = (predictor: Predictor | null, opts: ServeOptions = {}): PredictServer => {
    const server = new PredictServer(predictor, { log: () => undefined, ...opts });
    servers.push(server);
    return server;
  };
  return {
    create,
    async start(predictor, opts = {}) {
      const server = create(predictor, opts);
      const { url } = await server.listen(0, '127.0.0.1');
      return { url, server };
    },
  };
}
