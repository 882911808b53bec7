// `highway-onnx serve` as a child process for the readiness and reload tests: spawn it on a given
// model path and port, read its log lines, send signals, wait for its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send, type Reply } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
  /** Resolves once stderr (from character `from` on) matches `re`; rejects if the process exits first or after 20 s. */
  waitFor: (re: RegExp, from?: number) => Promise<RegExpExecArray>;
}

/** A port free on 127.0.0.1 right now (the server is told it before it listens). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts `serve --model <model> --port <free port>` with extra args; does not wait for readiness. */
export async function startServe(model: string, args: string[] = []): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'serve', '--model', model, '--port', String(port), '--device', 'cpu', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  let exited = false;
  const watchers = new Set<() => void>();
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    for (const w of watchers) w();
  });
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exited = true;
      for (const w of watchers) w();
      resolve(code);
    }),
  );
  const waitFor = (re: RegExp, from = 0): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`serve never logged ${re} in 20 s; stderr: ${err}`)), 20_000);
      const check = (): void => {
        const m = re.exec(err.slice(from));
        if (m) done(null, m);
        else if (exited) done(new Error(`serve exited before logging ${re}; stderr: ${err}`));
      };
      const done = (e: Error | null, m?: RegExpExecArray): void => {
        clearTimeout(timer);
        watchers.delete(check);
        if (e) reject(e);
        else resolve(m!);
      };
      watchers.add(check);
      check();
    });
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => err, exit, waitFor };
}

/** GET `path` until the server accepts the connection (it starts in ~1–2 s); rejects after 20 s. */
export async function firstAnswer(url: string, path = '/healthz'): Promise<Reply> {
  for (let i = 0; i < 400; i++) {
    try {
      return await send(url, { path });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listening at ${url} after 20 s`);
}
