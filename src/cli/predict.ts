// `highway-onnx predict`: texts as arguments or one per line on stdin, JSON lines out.
import { createInterface } from 'node:readline';
import { loadModel } from '../runtime/node.js';
import type { Device } from '../runtime/device.js';
import { UsageError } from './errors.js';

export interface PredictArgs {
  model: string;
  device: Device;
  batch: number;
  gates: boolean;
}

async function* stdinLines(): AsyncGenerator<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) if (line.trim() !== '') yield line;
}

export async function predictCommand(texts: string[], args: PredictArgs): Promise<void> {
  if (texts.length === 0 && process.stdin.isTTY) throw new UsageError('give texts as arguments or pipe them one per line on stdin');
  const predictor = await loadModel(args.model, { device: args.device, maxBatch: args.batch });
  const write = async (chunk: string[]): Promise<void> => {
    const preds = await predictor.predict(chunk);
    preds.forEach((p, i) => {
      const row: Record<string, unknown> = { text: chunk[i], label: p.label, probs: Object.fromEntries(predictor.labels.map((l, k) => [l, round(p.probs[k]!)])) };
      if (args.gates && p.gates) row.gates = p.gates.map((layer) => layer.map(round));
      process.stdout.write(`${JSON.stringify(row)}\n`);
    });
  };
  if (texts.length > 0) await write(texts);
  else {
    let chunk: string[] = [];
    for await (const line of stdinLines()) {
      chunk.push(line);
      if (chunk.length >= args.batch) {
        await write(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await write(chunk);
  }
  await predictor.release();
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;
