// A tiny static server over a built page (dist/web), for the browser tests and the browser
// benchmark: correct MIME types (application/wasm streams), COOP/COEP headers, extra in-memory
// routes (a test's model), a free port. Also `npx tsx scripts/web-serve.ts [dir]`.
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ISOLATION_HEADERS, MIME, PROJECT_ROOT } from './web-assets.js';

export interface StaticServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function serveStatic(root: string, opts: { port?: number; routes?: Record<string, Uint8Array> } = {}): Promise<StaticServer> {
  const base = resolve(root);
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      const extra = opts.routes?.[path];
      const headers = { ...ISOLATION_HEADERS, 'Cache-Control': 'no-cache' };
      if (extra) {
        res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(path)] ?? 'application/octet-stream' }).end(extra);
        return;
      }
      let file = normalize(join(base, path));
      if (!file.startsWith(base)) {
        res.writeHead(403, headers).end();
        return;
      }
      try {
        let st = await stat(file);
        if (st.isDirectory()) {
          file = join(file, 'index.html');
          st = await stat(file);
        }
        // A validator, so a returning page revalidates (304) instead of fetching 14–27 MB of wasm again.
        const etag = `"${st.size.toString(36)}-${Math.round(st.mtimeMs).toString(36)}"`;
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, { ...headers, ETag: etag }).end();
          return;
        }
        const body = await readFile(file);
        res.writeHead(200, { ...headers, ETag: etag, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404, headers).end('not found');
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? join(PROJECT_ROOT, 'dist/web');
  const s = await serveStatic(dir, { port: Number(process.env.PORT ?? 4173) });
  process.stdout.write(`serving ${dir} at ${s.url}\n`);
}
