// Does export-text score like its source model? (issue 11 item 9) For a classifier and a data
// set in SST's PTB-tokenized form, restores normal spacing (scripts/detokenize.ts: the raw text a
// user types), scores every sentence of the chosen splits with the source (ids) model through
// `predict`, and with its raw-text exports run directly in onnxruntime-node:
//  - the graph tokenizer (export-text --unicode-by-caller; rule 0 applied here, as loadModel does);
//  - the pre-tokenized graph fed the raw text (what export-text made before: lower-case, split on spaces).
// Prints, per export, how many token sequences equal the tokenizer's, how many labels equal the
// source's, and the largest probability gap.
//
//   npx tsx scripts/text-agreement.ts --model runs/x/model.onnx --data ../shared/data/sst [--splits dev,test]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { readDataset } from '../src/data/files.js';
import { applyRule0, tokenizerFor } from '../src/data/tokenizer.js';
import { Vocabulary } from '../src/data/vocab.js';
import { rawTextModel, TOKEN_IDS_OUTPUT, TOKEN_LENGTHS_OUTPUT } from '../src/interop/export.js';
import { decodeModel, encodeModel } from '../src/onnx/proto.js';
import { loadModel } from '../src/runtime/node.js';
import { detokenize } from './detokenize.js';

interface Row {
  export: string;
  texts: number;
  sameTokens: number | null;
  sameLabels: number;
  maxProbGap: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, data: { type: 'string' }, splits: { type: 'string', default: 'dev' } } });
  if (!values.model || !values.data) throw new Error('usage: text-agreement.ts --model model.onnx --data DIR [--splits dev,test]');
  const bytes = new Uint8Array(await readFile(values.model));
  const data = await readDataset(values.data);
  const texts = values.splits.split(',').flatMap((s) => (data as unknown as Record<string, { text: string }[]>)[s]!.map((e) => detokenize(e.text)));
  const source = await loadModel(bytes, { device: 'cpu' });
  const expected = await source.predict(texts);
  const options = source.info.tokenizer ?? {};
  const vocab = source.info.vocab!;
  await source.release();
  const tok = tokenizerFor(options);
  const rows: Row[] = [];
  for (const [name, opts, feed] of [
    ['graph tokenizer (--unicode-by-caller)', { unicodeByCaller: true }, (t: string) => applyRule0(t, options)],
    ['pre-tokenized graph fed raw text', { pretokenized: true }, (t: string) => t],
  ] as const) {
    const session = await ort.InferenceSession.create(encodeModel(rawTextModel(decodeModel(bytes), opts)));
    const row: Row = { export: name, texts: texts.length, sameTokens: session.outputNames.includes(TOKEN_IDS_OUTPUT) ? 0 : null, sameLabels: 0, maxProbGap: 0 };
    for (let s = 0; s < texts.length; s += 64) {
      const batch = texts.slice(s, s + 64);
      const out = await session.run({ text: new ort.Tensor('string', batch.map(feed), [batch.length]) });
      const probs = out.probs!.data as Float32Array;
      const C = out.probs!.dims[1]!;
      batch.forEach((text, b) => {
        const p = Array.from(probs.subarray(b * C, (b + 1) * C));
        const ref = expected[s + b]!;
        if (p.indexOf(Math.max(...p)) === ref.labelId) row.sameLabels++;
        p.forEach((x, k) => (row.maxProbGap = Math.max(row.maxProbGap, Math.abs(x - ref.probs[k]!))));
        if (row.sameTokens === null) return;
        const T = out[TOKEN_IDS_OUTPUT]!.dims[1]!;
        const len = (out[TOKEN_LENGTHS_OUTPUT]!.data as Int32Array)[b]!;
        const got = Array.from((out[TOKEN_IDS_OUTPUT]!.data as BigInt64Array).subarray(b * T, b * T + len), Number);
        const tokens = tok(text);
        const want = tokens.length === 0 ? [Vocabulary.UNK_ID] : vocab.encode(tokens);
        if (got.length === want.length && got.every((id, k) => id === want[k])) row.sameTokens++;
      });
    }
    await session.release();
    rows.push(row);
  }
  for (const r of rows) {
    console.log(`${r.export}: ${r.texts} texts (${values.splits}); identical token sequences ${r.sameTokens === null ? 'n/a' : `${r.sameTokens}/${r.texts}`}; identical labels ${r.sameLabels}/${r.texts}; max |Δp| ${r.maxProbGap.toExponential(2)}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
