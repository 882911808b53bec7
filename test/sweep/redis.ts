// A real redis-server for the queue tests (Debian's redis-server): on a free loopback port,
// in a temporary directory, with the append-only file on so a restart keeps the queue (as a
// production Redis for BullMQ must). Started and stopped by the test itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { requireSystemDependency } from '../helpers/system-deps.js';

export interface RedisServer {
  port: number;
  url: string;
  /** SIGTERM (Redis flushes the AOF and exits), wait for the exit. */
  stop(): Promise<void>;
  /** Start again on the same port and directory. */
  start(): Promise<void>;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Resolves once `redis-server` answers PING on the port (or rejects after `ms`). */
async function waitForPing(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setTimeout(500);
      s.on('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      s.on('error', () => resolve(false));
      s.on('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server on port ${port} did not answer PING within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start `redis-server` (a missing binary is a failure: CI installs the Debian package). */
export async function startRedis(dir: string): Promise<RedisServer> {
  requireSystemDependency('redis-server');
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const failed = new Promise<never>((_, reject) => {
      child!.on('error', (e) => reject(new Error(`redis-server could not start (install Debian's redis-server): ${e.message}`)));
      child!.on('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
    });
    failed.catch(() => undefined);
    await Promise.race([waitForPing(port, 10_000), failed]);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    await exited;
    child = null;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}
