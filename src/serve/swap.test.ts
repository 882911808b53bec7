// Swapping models in a running server (the API under SIGHUP's reload): new requests go to the new
// model at once, a request already running finishes on the old one, which is released only after
// it; reloads run one at a time and coalesce; a server shutting down refuses a new model.
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../runtime/errors.js';
import { loadModel } from '../runtime/node.js';
import type { Predictor } from '../runtime/predictor.js';
import { otherModelBytes, predict, rigged, tinyPredictor } from '../../test/serve/helpers.js';
import { inProcessServers } from '../../test/serve/in-process.js';

const servers = inProcessServers();

async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${what}: not after 3 s`);
}

describe('serve: swapping models', () => {
  it('a request running on the old model finishes on it; requests after the swap use the new one; the old is released after', async () => {
    const old = await rigged({ delayMs: 400 });
    let released = false;
    const release = old.predictor.release.bind(old.predictor);
    old.predictor.release = async () => {
      released = true;
      await release();
    };
    const { url, server } = await servers.start(old.predictor, { maxWaitMs: 0 });
    const running = predict(url, { texts: ['wonderful'] });
    await waitUntil(() => old.runs.length === 1, 'the first run starts');
    expect(server.install(await loadModel(otherModelBytes, { device: 'cpu' }))).toBe(2);
    const after = await predict(url, { texts: ['wonderful'] });
    expect(after.json().labels).toEqual(['bad', 'meh', 'good']);
    expect(after.json().predictions[0].probs).toHaveLength(3);
    expect(released).toBe(false); // the old model's run is still going
    const first = await running;
    expect(first.status).toBe(200);
    expect(first.json().labels).toEqual(['negative', 'positive']);
    expect(first.json().predictions[0].probs).toHaveLength(2);
    await waitUntil(() => released, 'the old model is released');
    expect(old.runs).toEqual([1]); // the request after the swap never reached the old model
  });

  it('reload: a failing load keeps the current model; calls made during a reload share one more load', async () => {
    const first = await tinyPredictor();
    const server = servers.create(first);
    const failed = await server.reload(() => Promise.reject(new ModelLoadError('cannot read model file')));
    expect(failed).toMatchObject({ ok: false, generation: 1, error: { code: 'E_MODEL_LOAD' } });
    expect(server.predictor).toBe(first);

    let loads = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const load = async (): Promise<Predictor> => {
      loads++;
      await gate;
      return tinyPredictor();
    };
    const a = server.reload(load);
    const b = server.reload(load);
    const c = server.reload(load);
    expect(b).toBe(c);
    open();
    const outcomes = await Promise.all([a, b, c]);
    expect(outcomes.map((o) => o.generation)).toEqual([2, 3, 3]);
    expect(loads).toBe(2);
    expect(server.generation).toBe(3);
    // A plain error from a loader becomes a coded one.
    const plain = await server.reload(() => Promise.reject(new Error('boom')));
    expect(plain).toMatchObject({ ok: false, generation: 3, error: { code: 'E_MODEL_LOAD', message: 'boom' } });
  });

  it('a model arriving after shutdown began is refused (E_SHUTTING_DOWN) and released', async () => {
    const server = servers.create(null);
    expect(server.state).toBe('loading');
    await server.listen(0);
    await server.shutdown(1000);
    const late = await tinyPredictor();
    let released = false;
    const release = late.release.bind(late);
    late.release = async () => {
      released = true;
      await release();
    };
    const r = await server.reload(async () => late);
    expect(r).toMatchObject({ ok: false, generation: 0, error: { code: 'E_SHUTTING_DOWN' } });
    expect(released).toBe(true);
    expect(server.state).toBe('draining');
  });
});
