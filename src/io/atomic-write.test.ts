// The atomic writer on real files: the new content or the old, never a mix; unchanged content is
// not rewritten; failures are E_WRITE naming the path and leave the old file and no temporary
// file; temporary files of dead writers are tidied. (Kills inside writes: kill-sites.test.ts.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileWriteError, writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'hw-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const temps = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.tmp'));

/** A pid that is certainly not running: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe.each([
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (p: string, d: Uint8Array | string, o?: { ifChanged?: boolean }) => writeFileAtomicSync(p, d, o)],
] as const)('%s', (name, write) => {
  const sub = join(dir, name);
  mkdirSync(sub);

  it('writes bytes and text, replaces the old file, leaves no temporary file', async () => {
    const p = join(sub, 'model.onnx');
    expect(await write(p, Uint8Array.of(1, 2, 3))).toBe(true);
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    expect(await write(p, 'héllo\n')).toBe(true);
    expect(readFileSync(p, 'utf8')).toBe('héllo\n');
    expect(await write(p, new Uint8Array(0))).toBe(true);
    expect(readFileSync(p).length).toBe(0);
    expect(temps(sub)).toEqual([]);
  });

  it('ifChanged: identical content is left alone (same inode and mtime), different content is written', async () => {
    const p = join(sub, 'artifact.json');
    await write(p, '{"a":1}\n');
    const before = statSync(p);
    await new Promise((r) => setTimeout(r, 20));
    expect(await write(p, '{"a":1}\n', { ifChanged: true })).toBe(false);
    const same = statSync(p);
    expect([same.ino, same.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(await write(p, '{"a":2}\n', { ifChanged: true })).toBe(true);
    expect(readFileSync(p, 'utf8')).toBe('{"a":2}\n');
    expect(statSync(p).ino).not.toBe(before.ino); // a new file renamed in, not an edit in place
  });

  it('a failed write is E_WRITE naming the path; the old file stays and no temporary file is left', async () => {
    const missing = join(sub, 'no-such-folder', 'model.onnx');
    const e1 = await write(missing, 'x').then(() => null, (e: unknown) => e);
    expect(e1).toBeInstanceOf(FileWriteError);
    expect(e1).toMatchObject({ code: 'E_WRITE', osCode: 'ENOENT' });
    expect((e1 as Error).message).toContain(missing);
    // The target is a folder: the rename fails after the temporary file was written.
    const folder = join(sub, 'best.safetensors');
    mkdirSync(folder);
    writeFileSync(join(folder, 'keep'), 'kept');
    const e2 = await write(folder, 'x').then(() => null, (e: unknown) => e);
    expect(e2).toMatchObject({ code: 'E_WRITE' });
    expect((e2 as Error).message).toMatch(/cannot write '.*best\.safetensors': E\w+; the previous 'best\.safetensors', if any, is unchanged/);
    expect(readFileSync(join(folder, 'keep'), 'utf8')).toBe('kept');
    expect(temps(sub)).toEqual([]);
  });

  it("the first write of a file removes temporary files of dead writers, not of live ones", async () => {
    const p = join(sub, 'checkpoint.safetensors');
    const dead = join(sub, `.checkpoint.safetensors.${deadPid()}.0123456789ab.tmp`);
    const live = join(sub, `.checkpoint.safetensors.${process.ppid}.0123456789ab.tmp`);
    const other = join(sub, `.model.onnx.${deadPid()}.0123456789ab.tmp`); // another file's: left for its own writer
    for (const f of [dead, live, other]) writeFileSync(f, 'half a file');
    await write(p, 'whole');
    expect(temps(sub).sort()).toEqual([live, other].map((f) => f.slice(sub.length + 1)).sort());
    rmSync(live);
    rmSync(other);
  });
});
