// POST /v1/predict: read and validate the body within the limits, pin the request to the model
// serving now, encode its texts with that model's vocabulary, score them through its micro-batcher
// and answer with that model's labels.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Predictor } from '../runtime/predictor.js';
import { Vocabulary } from '../data/vocab.js';
import type { TrackedRequest } from './connections.js';
import { loadingError } from './health.js';
import { hostBody, parsePredictBody, readBody, type RequestLimits } from './request.js';
import { sendJson } from './respond.js';
import type { ServedModels } from './served-models.js';

/**
 * One text's answer. The response is `{"labels": [...], "predictions": [PredictionJson, …]}`:
 * `probs` holds one probability per label, in the order of the response's `labels` (the API's
 * Prediction.probs and the CLI's rows have the same shape).
 */
export interface PredictionJson {
  label: string;
  probs: number[];
  /** Tokens the model saw, and how many of them it did not know. */
  tokens: number;
  unknown: number;
  /** The text has no token: the model saw one <unk> (its answer is the model's prior). */
  empty?: true;
  /** The text has tokens, none of them in the vocabulary. */
  allUnknown?: true;
}

interface Encoded {
  ids: number[];
  tokens: number;
  unknown: number;
}

/** The /v1/predict route of one server. */
export class PredictRoute {
  /** /v1/predict requests still being read and parsed: they may yet join the waiting batch. */
  receiving = 0;

  constructor(
    private readonly models: ServedModels,
    private readonly limits: RequestLimits,
  ) {}

  /**
   * Answers one prediction request (200 with the predictions); nothing when the request is doomed
   * (its connection closes before it could be answered).
   * @throws HttpError for a refusal: 503 E_LOADING before the first model serves; the body's 4xx
   *   (request.ts); 408 when the tracker aborts a slow body; the batcher's 503s; and the Predictor's
   *   coded errors (E_PREDICT_INPUT, E_MODEL_RUN), which the caller maps to a status.
   */
  async answer(req: IncomingMessage, res: ServerResponse, t: TrackedRequest): Promise<void> {
    if (!this.models.current) throw loadingError();
    // Any Content-Type is read as JSON (curl -d sends a form type); a body that is not JSON gets E_BAD_JSON.
    let texts: string[];
    this.receiving++;
    t.receiving(true);
    try {
      const body = hostBody(req, this.limits.maxBodyBytes) ?? (await readBody(req, this.limits.maxBodyBytes, t.signal));
      t.receiving(false);
      texts = parsePredictBody(body, this.limits);
    } catch (e) {
      t.receiving(false);
      this.receiving--;
      this.models.current?.batcher.poke(); // a batch waiting for this request need not wait any longer
      throw e;
    }
    this.receiving--;
    if (t.doomed) return;
    // The request is pinned to the model serving now: its ids come from that model's vocabulary,
    // so that model alone scores and labels it, even if a reload swaps in another meanwhile.
    const slot = this.models.current;
    if (!slot) throw loadingError(); // cannot happen: a server never goes back to loading
    const unpin = slot.acquire();
    try {
      const encoded = texts.map((text) => encode(slot.predictor, text));
      // A raw-text model takes the texts themselves (its graph tokenizes them; loadModel applies rule 0).
      const preds = await slot.batcher.submit(encoded.map((e, i) => ({ input: slot.predictor.takesText ? texts[i]! : e.ids, tokens: e.tokens })));
      const predictions: PredictionJson[] = preds.map((p, i) => {
        const { tokens, unknown } = encoded[i]!;
        return { label: p.label, probs: p.probs, tokens, unknown, ...(tokens === 0 ? { empty: true as const } : unknown === tokens ? { allUnknown: true as const } : {}) };
      });
      // The labels of the model that scored this request (a reload may change them between requests).
      sendJson(res, t, 200, { labels: slot.predictor.labels, predictions });
    } finally {
      unpin();
    }
  }
}

function encode(predictor: Predictor, text: string): Encoded {
  const { ids } = predictor.encode(text);
  let unknown = 0;
  for (const id of ids) if (id === Vocabulary.UNK_ID) unknown++;
  return { ids, tokens: ids.length, unknown };
}
