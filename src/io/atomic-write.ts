// The one way files a user keeps are written (models, checkpoints, run artifacts, metrics,
// experiment cells and reports, interchange outputs): a temporary file in the same folder,
// written and fsynced, renamed over the target, then the folder fsynced. A reader — or a process
// restarted after `kill -9` or a power cut — sees the previous file or the complete new one,
// never a truncated mix. Node only (node:fs); browser code never writes files.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CodedError } from '../errors.js';

/** Writing a file failed; the message names the file and says that the previous one is unchanged. */
export class FileWriteError extends CodedError {
  /** The operating system's error code (ENOSPC, EACCES, …), when there is one. */
  readonly osCode: string | undefined;
  constructor(message: string, osCode: string | undefined, options?: { cause?: unknown }) {
    super('E_WRITE', 'FileWriteError', message);
    this.osCode = osCode;
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** Options of writeFileAtomic / writeFileAtomicSync. */
export interface AtomicWriteOptions {
  /**
   * Leave the file alone when it already holds exactly these bytes (no write, no new inode,
   * modification time kept): for files rewritten on every start or resume.
   */
  ifChanged?: boolean;
}

const TEMP_SUFFIX = '.tmp';

/** The moments inside one write where the test hook below can kill the process. */
export const KILL_PHASES = ['open', 'partial', 'written', 'renamed'] as const;
/** One of KILL_PHASES. */
export type KillPhase = (typeof KILL_PHASES)[number];

/**
 * Test hook (tests only set it): HIGHWAY_ONNX_KILL_AT='<file name>:<n>:<phase>' makes this process
 * SIGKILL itself during its n-th atomic write of a file with that name — 'open' (empty temporary
 * file), 'partial' (half the bytes written), 'written' (all written and fsynced, not renamed),
 * 'renamed' (renamed, folder not yet fsynced) — so a test hits every write site deterministically
 * instead of hoping a random kill lands inside a write.
 */
const killHook = ((spec: string | undefined): { file: string; n: number; phase: KillPhase } | null => {
  const m = spec === undefined ? null : /^(.+):(\d+):(open|partial|written|renamed)$/.exec(spec);
  return m ? { file: m[1]!, n: Number(m[2]), phase: m[3] as KillPhase } : null;
})(process.env.HIGHWAY_ONNX_KILL_AT);
const writeCounts = new Map<string, number>();

function countWrite(path: string): number {
  const n = (writeCounts.get(basename(path)) ?? 0) + 1;
  writeCounts.set(basename(path), n);
  return n;
}

function killPoint(path: string, n: number, phase: KillPhase): void {
  if (killHook && killHook.file === basename(path) && killHook.n === n && killHook.phase === phase) process.kill(process.pid, 'SIGKILL');
}

/** `.<name>.<pid>.<random>.tmp` beside the target: hidden, and tied to the writing process. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Temporary files of `path` left by processes no longer alive (a `kill -9` mid-write). */
function staleTemps(path: string, names: readonly string[]): string[] {
  const prefix = `.${basename(path)}.`;
  return names
    .filter((f) => f.startsWith(prefix) && f.endsWith(TEMP_SUFFIX))
    .filter((f) => {
      const pid = Number(f.slice(prefix.length).split('.')[0]);
      return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid);
    })
    .map((f) => join(dirname(path), f));
}

// Each path is tidied once per process: repeated crashes must not fill the disk, and one
// directory listing per file and process is cheap.
const tidied = new Set<string>();

function describe(path: string, e: unknown): FileWriteError {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code === 'ENOSPC' ? 'ENOSPC (no space left on device)' : err.code === 'EDQUOT' ? 'EDQUOT (disk quota exceeded)' : err.code ?? err.message;
  return new FileWriteError(`cannot write '${path}': ${reason}; the previous '${basename(path)}', if any, is unchanged`, err.code, { cause: e });
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0;
const toBytes = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

/** fsync a folder so the rename itself survives a power cut; some file systems refuse, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close();
  }
}

/**
 * Writes `data` (bytes, or text as UTF-8) to `path` atomically: temporary file in the same
 * folder, write, fsync, rename over `path`, fsync the folder. The folder must exist.
 * Returns false when `ifChanged` is set and the file already held these bytes (nothing written).
 * @throws FileWriteError (E_WRITE) naming the path and the OS error; the old file is untouched
 *   and the temporary file removed.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<boolean> {
  const bytes = toBytes(data);
  if (!tidied.has(path)) {
    tidied.add(path);
    const names = await readdir(dirname(path)).catch(() => [] as string[]);
    for (const f of staleTemps(path, names)) await unlink(f).catch(() => undefined);
  }
  if (opts.ifChanged) {
    const size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => -1);
    if (size === bytes.length && sameBytes(await readFile(path), bytes)) return false;
  }
  const tmp = tempPath(path);
  const n = countWrite(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      killPoint(path, n, 'open');
      const half = bytes.length >> 1;
      // Short writes are legal for write(2): loop until each half is out.
      for (let off = 0; off < half; ) off += (await fh.write(bytes, off, half - off)).bytesWritten;
      killPoint(path, n, 'partial');
      for (let off = half; off < bytes.length; ) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
      await fh.sync();
    } finally {
      await fh.close();
    }
    killPoint(path, n, 'written');
    await rename(tmp, path);
    killPoint(path, n, 'renamed');
    await syncDir(dirname(path));
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw describe(path, e);
  }
  return true;
}

/** writeFileAtomic for synchronous callers (same steps, same guarantees, same errors). */
export function writeFileAtomicSync(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): boolean {
  const bytes = toBytes(data);
  if (!tidied.has(path)) {
    tidied.add(path);
    let names: string[] = [];
    try {
      names = readdirSync(dirname(path));
    } catch {
      // the open below reports a missing folder
    }
    for (const f of staleTemps(path, names)) {
      try {
        unlinkSync(f);
      } catch {
        // another process tidied it first
      }
    }
  }
  if (opts.ifChanged) {
    let size = -1;
    try {
      const s = statSync(path);
      if (s.isFile()) size = s.size;
    } catch {
      // no file yet
    }
    if (size === bytes.length && sameBytes(readFileSync(path), bytes)) return false;
  }
  const tmp = tempPath(path);
  const n = countWrite(path);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      killPoint(path, n, 'open');
      const half = bytes.length >> 1;
      for (let off = 0; off < bytes.length; ) {
        off += writeSync(fd, bytes, off, (off < half ? half : bytes.length) - off);
        if (off === half) killPoint(path, n, 'partial');
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    killPoint(path, n, 'written');
    renameSync(tmp, path);
    killPoint(path, n, 'renamed');
    let dfd: number | undefined;
    try {
      dfd = openSync(dirname(path), 'r');
      fsyncSync(dfd);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw e;
    } finally {
      if (dfd !== undefined) closeSync(dfd);
    }
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed, or never created
    }
    throw describe(path, e);
  }
  return true;
}
