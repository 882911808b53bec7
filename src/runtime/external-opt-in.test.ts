// The documented opt-in (loadModel(path, { externalData: 'model-folder' })): external data is read
// from the model file's own folder only, put back inside the model, and the result vetted like any
// model — its digest included, so the bytes read must be exactly the ones that were moved out.
// Everything that would leave the folder is refused, and the working directory is never used.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/proto.js';
import { loadModel } from './node.js';
import { modelBytes } from '../../test/serve/helpers.js';
import { SECRET_NAME, SECRET_TEXT } from '../../test/security/external-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'external-opt-in-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(join(root, SECRET_NAME), SECRET_TEXT); // beside the model folder, not in it
const folder = join(root, 'model');
mkdirSync(folder);

/** The test model with its embedding table moved to `location` (16 bytes into a file we write there when `write`). */
function withExternal(file: string, location: string, opts: { write?: boolean; length?: number } = {}): string {
  const m = decodeModel(modelBytes);
  const t = m.graph!.initializer!.find((x) => x.name === 'embedding.weight')!;
  const data = t.rawData!;
  if (opts.write ?? true) writeFileSync(join(folder, location), Buffer.concat([Buffer.alloc(16, 0xee), Buffer.from(data), Buffer.alloc(8, 0xee)]));
  t.rawData = new Uint8Array(0);
  t.dataLocation = 1;
  t.externalData = [{ key: 'location', value: location }, { key: 'offset', value: '16' }, { key: 'length', value: String(opts.length ?? data.length) }];
  const path = join(folder, file);
  writeFileSync(path, encodeModel(m));
  return path;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect((e as Error).message).not.toContain('TOP-SECRET');
    return (e as { code?: string }).code ?? 'uncoded';
  }
  return 'loaded';
}

describe("externalData: 'model-folder'", () => {
  it('reads the data from the folder: same predictions as the self-contained model, digest verified', async () => {
    const path = withExternal('ok.onnx', 'weights.bin');
    expect(await code(loadModel(path, { device: 'cpu' }))).toBe('E_EXTERNAL_DATA'); // the default refuses
    const inline = await loadModel(modelBytes, { device: 'cpu' });
    const outside = await loadModel(path, { device: 'cpu', externalData: 'model-folder' });
    const texts = ['a gripping film', 'not good at all', 'wonderful'];
    expect((await outside.predict(texts)).map((p) => p.probs)).toEqual((await inline.predict(texts)).map((p) => p.probs));
    await inline.release();
    await outside.release();
  });

  it('a wrong range changes the bytes read: the digest refuses it', async () => {
    const m = decodeModel(modelBytes);
    const t = m.graph!.initializer!.find((x) => x.name === 'embedding.weight')!;
    writeFileSync(join(folder, 'shifted.bin'), Buffer.concat([Buffer.alloc(20, 1), Buffer.from(t.rawData!)]));
    t.rawData = new Uint8Array(0);
    t.dataLocation = 1;
    t.externalData = [{ key: 'location', value: 'shifted.bin' }, { key: 'offset', value: '12' }, { key: 'length', value: String(6 * 19 * 4) }];
    writeFileSync(join(folder, 'shifted.onnx'), encodeModel(m));
    expect(await code(loadModel(join(folder, 'shifted.onnx'), { device: 'cpu', externalData: 'model-folder' }))).toBe('E_MODEL_DIGEST');
  });

  it.each([
    ['a name with ..', () => withExternal('up.onnx', `../${SECRET_NAME}`, { write: false }), /must be a plain relative name inside the model's folder/],
    ['an absolute name', () => withExternal('abs.onnx', join(root, SECRET_NAME), { write: false }), /must be a plain relative name/],
    ['a symbolic link out of the folder', () => {
      symlinkSync(join(root, SECRET_NAME), join(folder, 'link.bin'));
      return withExternal('link.onnx', 'link.bin', { write: false });
    }, /leads outside the model's folder/],
    ["a file that is only in the working directory (package.json)", () => withExternal('cwd.onnx', 'package.json', { write: false }), /"package\.json" does not exist in the model's folder/],
    ['a length that does not fit the tensor', () => withExternal('len.onnx', 'len.bin', { length: 8 }), /the reference holds 8/],
    ['a range past the end of the file', () => withExternal('past.onnx', 'past.bin', { length: 4000 }), /lie beyond the end of "past\.bin"/],
  ])('%s is refused with E_EXTERNAL_DATA', async (_, make, message) => {
    const path = make();
    try {
      await loadModel(path, { device: 'cpu', externalData: 'model-folder' });
      throw new Error('expected a refusal');
    } catch (e) {
      expect((e as { code?: string }).code).toBe('E_EXTERNAL_DATA');
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).not.toContain('TOP-SECRET');
    }
  });
});
