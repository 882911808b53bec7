// `highway-onnx predict`: texts as arguments or one per line on stdin, JSON lines out:
// {"text", "label", "probs": [p per label, in the model's label order], …}, the same `probs` as the
// API's Prediction and the server's answer. Warnings (an untrained model) go to stderr.
import { loadModel } from '../runtime/node.js';
import type { Device } from '../runtime/device.js';
import type { ExternalDataMode } from './args.js';
import { UsageError } from './errors.js';
import { InputTextError, readLines } from './stdin.js';
import { printable } from '../printable.js';
import type { Prediction } from '../runtime/predictor.js';

export interface PredictArgs {
  model: string;
  device: Device;
  batch: number;
  gates: boolean;
  /** Longest text accepted, in characters (default 100 000). */
  maxChars?: number;
  /** Texts longer than this many tokens are scored on their first maxTokens (default DEFAULT_MAX_TOKENS). */
  maxTokens?: number;
  /** 'model-folder': read external data from the model file's folder (default 'refuse'). */
  externalData?: ExternalDataMode;
  /** Where lines come from when no texts are given (default: stdin). */
  input?: AsyncIterable<Buffer | string> & { isTTY?: boolean };
}

export const DEFAULT_MAX_CHARS = 100_000;

export async function predictCommand(texts: string[], args: PredictArgs): Promise<void> {
  const input = args.input ?? process.stdin;
  if (texts.length === 0 && input.isTTY) throw new UsageError('give texts as arguments or pipe them one per line on stdin');
  const maxChars = args.maxChars ?? DEFAULT_MAX_CHARS;
  texts.forEach((t, i) => {
    if ([...t].length > maxChars) throw new InputTextError('E_INPUT_TOO_LONG', `text argument ${i + 1} is too long: the limit is ${maxChars} characters (--max-chars), found ${[...t].length}`, i + 1);
  });
  const predictor = await loadModel(args.model, { device: args.device, maxBatch: args.batch, ...(args.maxTokens ? { maxLength: args.maxTokens } : {}), ...(args.externalData ? { externalData: args.externalData } : {}) });
  if (predictor.info.untrained !== undefined) {
    process.stderr.write(`highway-onnx: warning: ${printable(args.model)} is untrained (${printable(predictor.info.untrained)}): its predictions are noise; train it first (highway-onnx train)\n`);
  }
  const write = async (chunk: string[], lines?: number[]): Promise<void> => {
    const preds = await predictor.predict(chunk);
    preds.forEach((p, i) => {
      const row: Record<string, unknown> = { ...(lines ? { line: lines[i] } : {}), text: chunk[i], label: p.label, probs: p.probs.map(round) };
      if (p.empty) row.empty = true;
      if (p.allUnknown) row.allUnknown = true;
      if (p.truncatedFrom !== undefined) row.truncated = { tokens: p.truncatedFrom, scored: predictor.maxLength };
      if (args.gates && p.gates) row.gates = gatesByToken(p);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    });
  };
  if (texts.length > 0) await write(texts);
  else {
    // Blank lines are skipped; each row carries its input line number.
    let chunk: string[] = [];
    let lines: number[] = [];
    try {
      for await (const { line, text } of readLines(input, { maxChars })) {
        if (text.trim() === '') continue;
        chunk.push(text);
        lines.push(line);
        if (chunk.length >= args.batch) {
          await write(chunk, lines);
          chunk = [];
          lines = [];
        }
      }
    } finally {
      // Lines read before a bad one are still scored and written.
      if (chunk.length > 0) await write(chunk, lines);
    }
  }
  await predictor.release();
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/**
 * The transform-gate activations beside the tokens they gate: one `{token, gates}` per time step,
 * `gates` holding one mean activation per highway layer (Prediction.gates is [layer][token]).
 */
export function gatesByToken(p: Prediction): { token: string | null; gates: number[] }[] {
  const layers = p.gates ?? [];
  const steps = layers[0]?.length ?? 0;
  return Array.from({ length: steps }, (_, t) => ({ token: p.tokens?.[t] ?? null, gates: layers.map((l) => round(l[t]!)) }));
}
