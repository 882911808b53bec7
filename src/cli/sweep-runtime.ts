// The sweep runtime (src/sweep, BullMQ over Redis), loaded when a sweep command runs: BullMQ
// and ioredis are optional peer dependencies, so a service that only predicts never installs them.
import { CodedError } from '../errors.js';

/** BullMQ or ioredis is not installed (E_MISSING_PEER). */
export class MissingPeerError extends CodedError {
  constructor(message: string) {
    super('E_MISSING_PEER', 'MissingPeerError', message);
  }
}

/** The sweep module; throws MissingPeerError (E_MISSING_PEER) naming what to install. */
export async function loadSweepRuntime(): Promise<typeof import('../sweep/index.js')> {
  try {
    return await import('../sweep/index.js');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && /bullmq|ioredis/.test((e as Error).message)) {
      throw new MissingPeerError('sweeps on a queue need BullMQ and ioredis: npm install bullmq ioredis');
    }
    throw e;
  }
}
