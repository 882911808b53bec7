// The Predictor: text or token ids in, labels and probabilities out. Runtime-agnostic:
// Node and the browser hand it a session and their onnxruntime's Tensor class.
import { applyRule0, tokenizerFor, type TokenizerOptions } from '../data/tokenizer.js';
import { padBatch, type PaddedBatch } from '../data/batches.js';
import { planRuns } from './run-plan.js';
import { Vocabulary } from '../data/vocab.js';
import type { ModelConfig } from '../models/config.js';
import { IO_NAMES } from '../models/classifier-io.js';
import type { TextInputContract } from '../models/text-input.js';
import { DeviceLostError, ModelRunError, PredictAbortedError, PredictInputError, PredictorReleasedError } from './errors.js';
import type { GpuAdapterSummary } from './adapter.js';
import type { RunQueue } from './run-queue.js';
import { ortMessage } from './ort-errors.js';

export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}
/** One sequence of token ids: numbers or bigints, in an array or a typed array (Int32Array, BigInt64Array, …). */
export type TokenIds = readonly number[] | readonly bigint[] | ArrayLike<number> | ArrayLike<bigint>;

export type TensorCtor = new (type: 'int64' | 'int32' | 'string', data: BigInt64Array | Int32Array | string[], dims: number[]) => OrtTensorLike;

/** The part of an onnxruntime InferenceSession the Predictor needs. */
export interface SessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release?(): Promise<void>;
}

export interface Prediction {
  label: string;
  labelId: number;
  probs: number[];
  logits: number[];
  /** Tokens as the model saw them (text input only; after truncation). */
  tokens?: string[];
  /** Of `tokens`, how many the vocabulary does not know (ids models with text input only). */
  unknown?: number;
  /** Present when the input was cut to `maxLength` tokens: its full token count. */
  truncatedFrom?: number;
  /** Mean transform-gate activation, [layer][token] (highway models with a gates output). */
  gates?: number[][];
  /**
   * True when the text has no token at all (empty or only spaces): the model saw one <unk> and its
   * answer is the model's prior, not a reading of the text.
   */
  empty?: true;
  /** True when the text has tokens but the vocabulary knows none of them: the model saw only <unk>s. */
  allUnknown?: true;
}

export interface PredictorOptions {
  /** Largest batch sent to onnxruntime at once (default 64). */
  maxBatch?: number;
  /**
   * A second session over the same model with one intra-op thread, for the runs of at most
   * `maxTokens` padded tokens (batch × longest length; default SMALL_RUN_TOKENS). On onnxruntime's
   * CPU provider a small run is quicker on one thread: waking a sleeping pool thread for each
   * parallel section costs more than the section (scripts/bench/run-cost.ts). The loader makes it
   * for CPU sessions of more than one thread; release() frees it too. `unpadded`, when given, is a
   * one-thread session of the model without its padding mask (runtime/unpadded-form.ts): the small
   * runs in which no sequence is padded (every length equals the longest; any single sentence) go
   * to it instead, since dropping the mask's nodes makes a one-sentence run 1.09–1.22× faster.
   */
  smallRuns?: { session: SessionLike; maxTokens?: number; unpadded?: SessionLike };
  /**
   * Longer inputs are cut to their first `maxLength` tokens (default DEFAULT_MAX_TOKENS; pass
   * Infinity for no limit). A cut prediction says so in `truncatedFrom`.
   */
  maxLength?: number;
  /** Execution provider the session runs on, as reported by the loader (default 'unknown'). */
  provider?: string;
  /** The GPU adapter behind a 'webgpu' provider, when known. */
  adapter?: GpuAdapterSummary;
  /**
   * Runs (and release) go through this queue, one at a time: the loaders pass one where the
   * runtime cannot take overlapping runs (onnxruntime-web, any WebGPU device). Default: none,
   * runs overlap (onnxruntime-node's CPU and CUDA sessions are safe to run concurrently).
   */
  queue?: RunQueue;
}

/** onnxruntime's and the browser's wording when the GPU device is gone. */
const DEVICE_LOST = /device (?:is |was |has been )?lost|device.{0,40}destroyed|lost the device/i;

/** True when an onnxruntime error means the WebGPU device is gone. */
export function isDeviceLost(e: unknown): boolean {
  return DEVICE_LOST.test(e instanceof Error ? e.message : String(e));
}

export interface ModelInfo {
  config: ModelConfig;
  labels: string[];
  vocab: Vocabulary | null;
  /** Tokenizer rules the model's vocabulary was built with (default: none of the switchable ones). */
  tokenizer?: TokenizerOptions;
  /**
   * Set when the weights were never trained (a model fresh from build-graph): where they come from.
   * Its predictions are noise; the CLI, the server and inspect say so.
   */
  untrained?: string;
  /** A raw-text model's input contract (metadata `highway_onnx.input`); null/absent for an ids model. */
  textInput?: TextInputContract | null;
}

/**
 * Default cap on tokens per text at inference: far above any sentence or review the models are
 * trained on (SST's longest sentence has 56 tokens), low enough that one pasted book cannot
 * take hundreds of MB and seconds of LSTM time (the LSTM's cost and memory grow with the padded
 * batch length).
 */
export const DEFAULT_MAX_TOKENS = 1000;

/**
 * Runs of at most this many padded tokens (batch × longest length: a sentence or two) go to the
 * one-thread session when there is one. On the 2-core bench machine one thread ran such runs
 * 1.3–1.4× faster in one process (and larger ones up to ~64 × 24 tokens no slower), but against a
 * two-thread session in another process on an oversubscribed machine it lost wall time (while
 * using less CPU) from batch 32 runs up, and at batch 1 too under heavy load (bench-results/speed-notes.md).
 */
export const SMALL_RUN_TOKENS = 64;

/**
 * SMALL_RUN_TOKENS scaled to a model's width: the measurements behind it are of embed 100,
 * hidden 50, where a token costs a layer's LSTM about 8·H·(In + H) = 60,000 multiply-adds (In the
 * widest layer input, max(embed, 2·hidden)); a wider model gives each parallel section
 * proportionally more work, so fewer of its tokens stay on one thread (hidden 512, embed 300: 1).
 * At least 1.
 */
export function smallRunTokensFor(config: Pick<ModelConfig, 'embedDim' | 'hidden'>): number {
  const perToken = 8 * config.hidden * (Math.max(config.embedDim, 2 * config.hidden) + config.hidden);
  return Math.max(1, Math.floor((SMALL_RUN_TOKENS * 60_000) / perToken));
}

/** A --pretokenized raw-text model's tokens for a text, as its graph cuts them: lower-cased, split on runs of spaces. */
function pretokenizedWords(text: string): string[] {
  return text.toLowerCase().split(' ').filter((w) => w !== '');
}

/** Whether this platform stores integers little-endian (then int64 ids are written as int32 pairs). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class Predictor {
  readonly maxBatch: number;
  readonly maxLength: number;
  readonly provider: string;
  /** The GPU adapter behind a 'webgpu' provider (null when not on WebGPU or unknown). */
  readonly adapter: GpuAdapterSummary | null;
  private readonly queue: RunQueue | undefined;
  constructor(
    readonly session: SessionLike,
    private readonly Tensor: TensorCtor,
    readonly info: ModelInfo,
    opts: PredictorOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 64;
    this.maxLength = opts.maxLength ?? DEFAULT_MAX_TOKENS;
    if (!(this.maxLength === Number.POSITIVE_INFINITY || (Number.isInteger(this.maxLength) && this.maxLength >= 1))) {
      throw new PredictInputError(`maxLength must be a positive integer or Infinity, found ${opts.maxLength}`);
    }
    this.provider = opts.provider ?? 'unknown';
    this.adapter = opts.adapter ?? null;
    this.queue = opts.queue;
    this.small = opts.smallRuns ? { session: opts.smallRuns.session, maxTokens: opts.smallRuns.maxTokens ?? SMALL_RUN_TOKENS, unpadded: opts.smallRuns.unpadded ?? null } : null;
    if (this.small && !(this.small.maxTokens === Number.POSITIVE_INFINITY || (Number.isInteger(this.small.maxTokens) && this.small.maxTokens >= 1))) {
      throw new PredictInputError(`smallRuns.maxTokens must be a positive integer or Infinity, found ${this.small.maxTokens}`);
    }
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new PredictInputError(`maxBatch must be a positive integer, found ${opts.maxBatch}`);
    // A raw-text model (export-text) tokenizes inside the graph: it takes `text` instead of ids.
    this.takesText = session.inputNames.includes(IO_NAMES.text) && !session.inputNames.includes(IO_NAMES.ids);
    for (const name of this.takesText ? [IO_NAMES.text] : [IO_NAMES.ids, IO_NAMES.lengths]) {
      if (!session.inputNames.includes(name)) throw new PredictInputError(`model has no '${name}' input (inputs: ${session.inputNames.join(', ')})`);
    }
  }

  /** True for raw-text models, whose graph lower-cases and splits the text itself. */
  readonly takesText: boolean;

  private readonly small: { session: SessionLike; maxTokens: number; unpadded: SessionLike | null } | null;

  get labels(): string[] {
    return this.info.labels;
  }

  /** Token ids for a text, as the model's vocabulary encodes it. */
  encode(text: string): { ids: number[]; tokens: string[] } {
    const vocab = this.info.vocab;
    if (!vocab) throw new PredictInputError('this model carries no vocabulary: pass token ids (number[][]) instead of texts');
    if (typeof text !== 'string') throw new PredictInputError(`expected a string, found ${typeof text}`);
    const tokens = tokenizerFor(this.info.tokenizer)(text);
    return { ids: vocab.encode(tokens), tokens };
  }

  /**
   * Scores texts, or token-id sequences (arrays of numbers or bigints, or typed arrays such as
   * Int32Array and BigInt64Array), in onnxruntime runs of at most `maxBatch` sequences of similar
   * lengths (planRuns: padding costs LSTM steps; results come back in input order); one string alone is taken
   * as one text. Throws PredictInputError (E_PREDICT_INPUT) for bad input, PredictorReleasedError
   * (E_RELEASED) after release(), ModelRunError (E_MODEL_RUN) / DeviceLostError (E_DEVICE_LOST)
   * when onnxruntime fails. With `signal`, an abort stops between batches: the batch running
   * finishes (onnxruntime cannot stop a run midway), then PredictAbortedError (E_ABORTED).
   */
  async predict(inputs: string | readonly string[] | readonly TokenIds[], opts: { signal?: AbortSignal } = {}): Promise<Prediction[]> {
    if (this.releasing) throw new PredictorReleasedError('predict() after release(): load the model again');
    const run = this.predictNow(typeof inputs === 'string' ? [inputs] : inputs, opts.signal);
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  private async predictNow(inputs: readonly string[] | readonly TokenIds[], signal: AbortSignal | undefined): Promise<Prediction[]> {
    if (!Array.isArray(inputs)) throw new PredictInputError('predict() takes a text, or an array of texts or of token-id sequences');
    if (this.takesText) return this.predictText(inputs, signal);
    const encoded = inputs.map((x: string | TokenIds, i) => {
      if (typeof x === 'string') return this.encode(x);
      if (!Array.isArray(x) && !ArrayBuffer.isView(x)) throw new PredictInputError(`input ${i}: expected a string or a sequence of token ids (array or typed array), found ${x === null ? 'null' : typeof x}`);
      return { ids: this.checkIds(x as ArrayLike<number | bigint>, i), tokens: undefined };
    });
    // Runs of similar lengths, since a run is padded to its longest input and every padding step
    // costs a full LSTM step (run-plan.ts). Results go back in input order.
    const runs = planRuns(encoded.map((e) => Math.max(1, Math.min(e.ids.length, this.maxLength))), this.maxBatch);
    const out = new Array<Prediction>(encoded.length);
    let done = 0;
    for (const at of runs) {
      checkAborted(signal, done, encoded.length);
      const results = await this.runBatch(at.map((i) => encoded[i]!));
      at.forEach((i, k) => (out[i] = results[k]!));
      done += at.length;
    }
    const unk = this.info.vocab ? Vocabulary.UNK_ID : undefined;
    out.forEach((p, i) => {
      const e = encoded[i]!;
      if (e.ids.length > this.maxLength) p.truncatedFrom = e.ids.length;
      if (e.tokens !== undefined && unk !== undefined) p.unknown = e.ids.slice(0, this.maxLength).filter((id) => id === unk).length;
      if (e.tokens !== undefined && e.tokens.length === 0) p.empty = true;
      else if (p.unknown !== undefined && p.unknown === Math.min(e.ids.length, this.maxLength)) p.allUnknown = true;
    });
    return out;
  }

  private async predictText(inputs: readonly unknown[], signal: AbortSignal | undefined): Promise<Prediction[]> {
    const texts = inputs.map((x, i) => {
      if (typeof x !== 'string') throw new PredictInputError(`input ${i}: this model tokenizes inside the graph and takes texts, found ${Array.isArray(x) ? 'token ids' : typeof x}`);
      return x;
    });
    const contract = this.info.textInput ?? null;
    const graphTokenizer = contract?.tokenizer === 'graph';
    // The graph pads a batch to its longest text, as the ids path does: the same runs of similar
    // lengths (planRuns), from the token counts the graph will see, keep one long text from
    // padding every short one beside it.
    const tokens = graphTokenizer ? texts.map((t) => tokenizerFor(this.info.tokenizer ?? {})(t)) : null;
    const cap = contract?.maxTokens ?? Number.POSITIVE_INFINITY;
    // Checked for the whole call before any run: the graph's cut is fixed at export.
    tokens?.forEach((t, i) => {
      if (t.length > Math.min(cap, this.maxLength) && cap !== this.maxLength) {
        throw new PredictInputError(`input ${i}: ${t.length} tokens; this raw-text model scores a text's first ${cap} (fixed at export: export-text --max-tokens) and this Predictor's maxLength is ${this.maxLength}: load it with maxLength ${cap}, or export again`);
      }
    });
    const lengths = texts.map((t, i) => Math.max(1, Math.min(tokens ? tokens[i]!.length : pretokenizedWords(t).length, tokens ? cap : this.maxLength)));
    const out = new Array<Prediction>(texts.length);
    let done = 0;
    for (const at of planRuns(lengths, this.maxBatch)) {
      checkAborted(signal, done, texts.length);
      const chunk = at.map((i) => texts[i]!);
      const preds = tokens ? await this.predictGraphTokenized(chunk, at, at.map((i) => tokens[i]!)) : await this.predictPretokenized(chunk);
      at.forEach((i, k) => (out[i] = preds[k]!));
      done += at.length;
    }
    return out;
  }

  /**
   * A batch for a --pretokenized raw-text model: the graph lower-cases and splits on spaces, and
   * has no cut of its own, so a text of more than maxLength words is fed as its first maxLength
   * (in their own case: the graph lower-cases) and says so in `truncatedFrom`, as the ids path does.
   */
  private async predictPretokenized(chunk: string[]): Promise<Prediction[]> {
    const cut = chunk.map((t) => {
      const words = t.split(' ').filter((w) => w !== '');
      return words.length > this.maxLength ? { text: words.slice(0, this.maxLength).join(' '), from: words.length } : { text: t, from: undefined };
    });
    const fed = cut.map((c) => c.text);
    const result = await this.run({ text: new this.Tensor('string', fed, [fed.length]) }, `${fed.length} text(s)`);
    // The pretokenized graph's rule: lower-case, split on runs of spaces; an empty text is one <unk>.
    const items = fed.map((t) => {
      const words = pretokenizedWords(t);
      return { len: Math.max(1, words.length), tokens: words.length === 0 ? ['<unk>'] : words };
    });
    const preds = this.readResults(result, items);
    chunk.forEach((t, i) => {
      if (t.split(' ').every((w) => w === '')) preds[i]!.empty = true;
      if (cut[i]!.from !== undefined) preds[i]!.truncatedFrom = cut[i]!.from;
    });
    return preds;
  }

  /**
   * A batch for a model whose graph runs the tokenizer's rules 1–7: rule 0 here (the model's
   * recorded contract), then the graph. Its token ids (output `token_ids`) must equal this
   * package's tokenizer + vocabulary (`tokens`, per text), or the batch fails (ModelRunError):
   * never a silent difference. `at`: each text's index in the predict() call, for messages.
   */
  private async predictGraphTokenized(chunk: string[], at: readonly number[], tokensOf: readonly string[][]): Promise<Prediction[]> {
    const tokenizer = this.info.tokenizer ?? {};
    const result = await this.run({ text: new this.Tensor('string', chunk.map((t) => applyRule0(t, tokenizer)), [chunk.length]) }, `${chunk.length} text(s)`);
    const graphIds = result.token_ids;
    const graphLengths = result.token_lengths;
    const vocab = this.info.vocab;
    if (!graphIds || !graphLengths || !vocab) throw new ModelRunError(`a graph-tokenizer model must return 'token_ids' and 'token_lengths' and carry its vocabulary (it returned: ${Object.keys(result).join(', ')})`);
    const T = (graphIds.dims as number[])[1]!;
    const ids = graphIds.data as BigInt64Array;
    const lengths = graphLengths.data as Int32Array;
    const cap = this.info.textInput?.maxTokens ?? Number.POSITIVE_INFINITY;
    const items = chunk.map((_, b) => {
      const tokens = tokensOf[b]!;
      const want = tokens.length === 0 ? [Vocabulary.UNK_ID] : vocab.encode(tokens.slice(0, cap));
      const got = Array.from(ids.subarray(b * T, b * T + lengths[b]!), Number);
      if (got.length !== want.length || got.some((id, k) => id !== want[k])) {
        const k = got.findIndex((id, j) => id !== want[j]);
        throw new ModelRunError(`input ${at[b]}: the model's graph cut the text into ${got.length} token(s), this package's tokenizer into ${want.length}${k >= 0 ? ` (first difference at token ${k}: graph id ${got[k]}, tokenizer '${tokens[k] ?? ''}' id ${want[k]})` : ''}; the model was exported by a JavaScript engine with other Unicode tables, or the file was altered: export it again`);
      }
      const scored = tokens.length === 0 ? [Vocabulary.UNK] : tokens.slice(0, cap);
      return { len: want.length, tokens: scored, empty: tokens.length === 0, unknown: tokens.length === 0 ? 0 : got.filter((id) => id === Vocabulary.UNK_ID).length, from: tokens.length > cap ? tokens.length : undefined };
    });
    const preds = this.readResults(result, items);
    preds.forEach((p, i) => {
      const item = items[i]!;
      p.unknown = item.unknown;
      if (item.from !== undefined) p.truncatedFrom = item.from;
      // The same flags as the ids path: no token at all, or every scored token unknown.
      if (item.empty) p.empty = true;
      else if (item.unknown > 0 && item.unknown === item.len) p.allUnknown = true;
    });
    return preds;
  }

  private async run(feeds: Record<string, OrtTensorLike>, what: string, session: SessionLike = this.session): Promise<Record<string, OrtTensorLike>> {
    try {
      return await (this.queue ? this.queue.run(() => session.run(feeds)) : session.run(feeds));
    } catch (e) {
      if (this.provider === 'webgpu' && isDeviceLost(e)) {
        throw new DeviceLostError(`the WebGPU device was lost while running a batch of ${what}: load the model again (with device 'auto' a failing WebGPU falls back to cpu, WASM in the browser)`);
      }
      throw new ModelRunError(`onnxruntime failed on a batch of ${what}: ${ortMessage(e)}`);
    }
  }

  /** Token ids as numbers: each an integer (number or bigint) in [0, vocabSize), else E_PREDICT_INPUT saying which. */
  private checkIds(ids: ArrayLike<number | bigint>, i: number): number[] {
    const V = this.info.config.vocabSize;
    const out = new Array<number>(ids.length);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      // The common case first, with nothing built for an error message (JSON.stringify per id
      // was a measurable share of a batch-1 prediction).
      if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < V) {
        out[k] = id;
        continue;
      }
      const shown = typeof id === 'bigint' ? `${id}n` : JSON.stringify(id) ?? String(id);
      if (typeof id === 'bigint') {
        if (id < 0n || id >= BigInt(V)) throw new PredictInputError(`input ${i}: token id ${shown} at position ${k} is outside the vocabulary [0, ${V})`);
        out[k] = Number(id);
      } else if (typeof id !== 'number' || !Number.isInteger(id)) {
        throw new PredictInputError(`input ${i}: token id at position ${k} must be an integer (number or bigint), found ${typeof id === 'number' ? shown : `${typeof id} ${shown}`}`);
      } else {
        throw new PredictInputError(`input ${i}: token id ${shown} at position ${k} is outside the vocabulary [0, ${V})`);
      }
    }
    return out;
  }

  private async runBatch(batch: { ids: number[]; tokens: string[] | undefined }[]): Promise<Prediction[]> {
    const { ids, lengths, batch: B, time: T } = this.pad(batch.map((b) => b.ids));
    let session = this.session;
    if (this.small && B * T <= this.small.maxTokens) session = this.small.unpadded && lengths.every((n) => n === T) ? this.small.unpadded : this.small.session;
    const result = await this.run({ [IO_NAMES.ids]: new this.Tensor('int64', ids, [B, T]), [IO_NAMES.lengths]: new this.Tensor('int32', lengths, [B]) }, `${B} sequence(s) of up to ${T} tokens`, session);
    return this.readResults(result, batch.map((item, b) => ({ len: lengths[b]!, tokens: item.tokens === undefined ? undefined : item.tokens.length === 0 ? ['<unk>'] : item.tokens.slice(0, lengths[b]!) })));
  }

  /**
   * padBatch's result (ids cut to maxLength, an empty sequence as one <unk>) for ids already
   * checked (integers in [0, vocabSize)): written as int32 pairs into the int64 buffer on a
   * little-endian platform, instead of one BigInt per id.
   */
  private pad(seqs: number[][]): PaddedBatch {
    const maxLen = Number.isFinite(this.maxLength) ? this.maxLength : undefined;
    if (!LITTLE_ENDIAN) return padBatch(seqs, maxLen === undefined ? {} : { maxLen });
    const cap = maxLen ?? Number.POSITIVE_INFINITY;
    const B = seqs.length;
    const lengths = new Int32Array(B);
    let T = 1;
    for (let b = 0; b < B; b++) {
      lengths[b] = Math.max(1, Math.min(seqs[b]!.length, cap));
      if (lengths[b]! > T) T = lengths[b]!;
    }
    const ids = new BigInt64Array(B * T); // zero-filled: PAD_ID
    const words = new Int32Array(ids.buffer); // low word of id k at 2k, high word 0
    for (let b = 0; b < B; b++) {
      const seq = seqs[b]!;
      const base = 2 * b * T;
      if (seq.length === 0) words[base] = Vocabulary.UNK_ID;
      for (let t = 0, n = lengths[b]!; t < n && t < seq.length; t++) words[base + 2 * t] = seq[t]!;
    }
    return { ids, lengths, batch: B, time: T };
  }

  private readResults(result: Record<string, OrtTensorLike>, items: { len: number; tokens: string[] | undefined }[]): Prediction[] {
    const logitsOut = result[IO_NAMES.logits];
    const probsOut = result[IO_NAMES.probs];
    if (!logitsOut || !probsOut) {
      throw new ModelRunError(`the model returned no '${IO_NAMES.logits}'/'${IO_NAMES.probs}' outputs (it returned: ${Object.keys(result).join(', ')})`);
    }
    const logits = logitsOut.data as Float32Array;
    const probs = probsOut.data as Float32Array;
    for (let i = 0; i < probs.length; i++) {
      if (!Number.isFinite(probs[i]!)) {
        throw new ModelRunError(`the model returned a non-finite probability (${probs[i]}) for input ${Math.floor(i / this.info.labels.length)} of the batch: its weights or activations overflow`);
      }
    }
    const gates = result[IO_NAMES.gates];
    const C = this.info.labels.length;
    return items.map((item, b) => {
      const p = copy(probs, b * C, C);
      let labelId = 0;
      for (let k = 1; k < C; k++) if (p[k]! > p[labelId]!) labelId = k; // the first of equal maxima, as indexOf(max)
      const pred: Prediction = { label: this.info.labels[labelId]!, labelId, probs: p, logits: copy(logits, b * C, C) };
      if (item.tokens) pred.tokens = item.tokens;
      if (gates) {
        const [, L, Tg] = gates.dims as [number, number, number];
        const g = gates.data as Float32Array;
        pred.gates = new Array<number[]>(L);
        for (let l = 0; l < L; l++) pred.gates[l] = copy(g, (b * L + l) * Tg, item.len);
      }
      return pred;
    });
  }

  /**
   * Free the session once the predictions in flight have finished (they complete normally; a
   * predict() called afterwards is PredictorReleasedError, E_RELEASED). Idempotent: later calls
   * return the same promise.
   */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      const release = async (): Promise<void> => {
        await this.session.release?.();
        // In the browser the small runs share the main session (only their unpadded twin is apart).
        if (this.small && this.small.session !== this.session) await this.small.session.release?.();
        await this.small?.unpadded?.release?.();
      };
      await (this.queue ? this.queue.run(release) : release());
    })();
    return this.releasing;
  }

  private releasing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<Prediction[]>>();
}

/** data[start .. start + n) as a plain array (no subarray view made on the way). */
function copy(data: Float32Array, start: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = data[start + i]!;
  return out;
}

/** Throws PredictAbortedError (E_ABORTED) when `signal` was aborted, before input `done` of `total`. */
function checkAborted(signal: AbortSignal | undefined, done: number, total: number): void {
  if (signal?.aborted) throw new PredictAbortedError(`predict() aborted after ${done} of ${total} input(s): ${String(signal.reason ?? 'aborted')}`);
}
