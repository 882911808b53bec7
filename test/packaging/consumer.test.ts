// The package as someone else's project gets it: `npm pack`, install the tarball into a fresh
// temporary project (npm registry only, from the local cache where it can), then use it from the
// CLI, an ES module, a CommonJS require and a strict TypeScript build. Slow-ish (tens of seconds:
// a build, an install, tsc), so it is one sequence of steps sharing one project.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { runProcess, type CliResult } from '../helpers/tsx-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'hw-consumer-'));
const app = join(work, 'app');
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The child sees no npm_* settings inherited from an `npm test` run and no
// ONNXRUNTIME_NODE_INSTALL: the project's own package.json must be enough.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^ONNXRUNTIME_NODE_INSTALL/i.test(k)));

function run(cmd: string, args: string[], cwd: string): Promise<CliResult> {
  return runProcess(cmd, args, { cwd, env });
}

/** Run and require exit 0, showing the output when it is not. */
async function ok(cmd: string, args: string[], cwd = app): Promise<CliResult> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const du = (dir: string): number => {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += du(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
};

let tarball = '';
let installLog = '';
let reviewLog = '';
const texts = ['a warm , funny and moving film', 'dull and tedious'];

beforeAll(async () => {
  // `npm pack` runs `prepare` (the TypeScript build) as a publish does.
  const packed = await ok('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'consumer',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: { 'highway-onnx': `file:${tarball}` },
        devDependencies: { typescript: '~5.9.3', '@types/node': '^20.19.0' },
        // What the README asks of a project: onnxruntime-node's install script would fetch its
        // CUDA provider from api.nuget.org (CUDA is `npx highway-onnx setup cuda` instead);
        // protobufjs 6's only makes a folder for its own CLI.
        allowScripts: { 'onnxruntime-node': false, protobufjs: false },
      },
      null,
      2,
    ),
  );
  const install = await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
  installLog = install.stdout + install.stderr;
  reviewLog = (await ok('npm', ['install-scripts', 'ls'], app)).stdout;
}, 300_000);

describe('a consumer project', () => {
  let cliProbs: unknown[] = [];
  it('installs with only the npm registry: no install-script notice, no unknown-config warning, no browser runtime, one protobufjs', () => {
    expect(installLog).not.toMatch(/Unknown (project|cli|user) config/);
    // npm lists dependencies whose install scripts the project has not reviewed; only our own
    // `prepare` may appear, because this test installs a tarball (npm lists `prepare` for
    // non-registry sources, and does not run it for tarballs).
    const pending = [...installLog.matchAll(/install-scripts +(\S+)@\S+ \((\w+):/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(pending.filter((p) => p !== 'highway-onnx prepare')).toEqual([]);
    // The same from npm's own read-only report.
    expect(reviewLog).toMatch(/^(No packages with unreviewed install scripts\.|1 package has install scripts not yet covered by allowScripts:\n  highway-onnx@[^\n]*\(prepare: [^\n]*\))\n/);
    const nm = join(app, 'node_modules');
    expect(existsSync(join(nm, 'onnxruntime-node'))).toBe(true);
    expect(existsSync(join(nm, 'onnxruntime-web'))).toBe(false);
    // protobufjs 6 comes with onnx-proto; 7 came only with onnxruntime-web.
    const protobufs = [join(nm, 'protobufjs'), join(nm, 'onnx-proto', 'node_modules', 'protobufjs')].filter(existsSync);
    expect(protobufs).toHaveLength(1);
    const pkg = join(nm, 'highway-onnx');
    expect(existsSync(join(pkg, 'LICENSE'))).toBe(true);
    expect(existsSync(join(pkg, 'src'))).toBe(false); // built JavaScript only
    // The install, without the TypeScript compiler this test adds, stays well under the 463 MB
    // it was with onnxruntime-web.
    const size = du(nm) - du(join(nm, 'typescript')) - du(join(nm, '@types'));
    console.log(`consumer node_modules (without typescript, @types): ${(size / 1e6).toFixed(0)} MB`);
    expect(size).toBeLessThan(330e6);
  });

  it('runs the CLI: --version, unknown commands, build-graph into the working directory, predict', async () => {
    const version = await ok('npx', ['highway-onnx', '--version']);
    expect(version.stdout.trim()).toBe((await import('../../package.json', { with: { type: 'json' } })).default.version);
    const unknown = await run('npx', ['highway-onnx', 'no-such-command', '--help'], app);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/\[E_USAGE\] unknown command 'no-such-command'/);
    const built = await ok('npx', ['highway-onnx', 'build-graph', '--layers', '1', '--hidden', '4', '--embed-dim', '8']);
    expect(built.stdout).toMatch(/^hbilstm-1\.onnx /);
    expect(existsSync(join(app, 'hbilstm-1.onnx'))).toBe(true);
    expect(readdirSync(join(app, 'node_modules', 'highway-onnx', 'graphs')).filter((f) => f.endsWith('.onnx'))).toEqual([]);
    const cuda = await run('npx', ['highway-onnx', 'predict', '-m', 'hbilstm-1.onnx', '--device', 'cuda', 'x'], app);
    expect(cuda.code).toBe(1);
    expect(cuda.stderr).toMatch(/\[E_DEVICE_UNAVAILABLE\] .*run 'npx highway-onnx setup cuda'/);
    const predicted = await ok('npx', ['highway-onnx', 'predict', '-m', 'hbilstm-1.onnx', ...texts]);
    cliProbs = predicted.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { probs: Record<string, number> | number[] }).probs);
    expect(cliProbs).toHaveLength(2);
  });

  const script = (load: string) => `${load}
const model = await loadModel('hbilstm-1.onnx');
const out = await model.predict(${JSON.stringify(texts)});
await model.release();
console.log(JSON.stringify(out.map((p) => p.probs)));`;

  it('an ES module import and a CommonJS require give the same probabilities as the CLI and a raw onnxruntime session', async () => {
    writeFileSync(join(app, 'esm.mjs'), script("import { loadModel } from 'highway-onnx';"));
    writeFileSync(join(app, 'cjs.cjs'), `(async () => {\n${script("const { loadModel } = require('highway-onnx');")}\n})();`);
    const esm = JSON.parse((await ok('node', ['esm.mjs'])).stdout) as number[][];
    const cjsRun = await ok('node', ['cjs.cjs']);
    expect(cjsRun.stderr).not.toMatch(/ExperimentalWarning/);
    const cjs = JSON.parse(cjsRun.stdout) as number[][];
    expect(cjs).toEqual(esm);
    // Independent: the ids the vocabulary gives, through plain onnxruntime-node.
    const probsOf = (p: unknown): number[] => (Array.isArray(p) ? (p as number[]) : Object.values(p as Record<string, number>));
    expect(cliProbs.map(probsOf).flat().map((x) => x.toFixed(5))).toEqual(esm.map(probsOf).flat().map((x) => x.toFixed(5)));
    const session = await ort.InferenceSession.create(join(app, 'hbilstm-1.onnx'));
    const unkIds = [1, 1, 1, 1, 1, 1]; // any ids: compare the session with the API on the same ids below
    const feeds = { ids: new ort.Tensor('int64', BigInt64Array.from(unkIds.map(BigInt)), [1, 6]), lengths: new ort.Tensor('int32', Int32Array.from([6]), [1]) };
    const raw = Array.from((await session.run(feeds)).probs!.data as Float32Array);
    await session.release();
    writeFileSync(join(app, 'ids.mjs'), `import { loadModel } from 'highway-onnx';\nconst m = await loadModel('hbilstm-1.onnx');\nconst [p] = await m.predict([${JSON.stringify(unkIds)}]);\nawait m.release();\nconsole.log(JSON.stringify(p.probs));`);
    const api = probsOf(JSON.parse((await ok('node', ['ids.mjs'])).stdout));
    api.forEach((p, i) => expect(p).toBeCloseTo(raw[i]!, 6));
  });

  it('type-checks under strict settings (skipLibCheck: false), as ESM and as CommonJS', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] }, include: ['*.ts', '*.cts'] }),
    );
    writeFileSync(
      join(app, 'use.ts'),
      `import { loadModel, type Prediction, type ModelProto, decodeModel } from 'highway-onnx';
import { readFileSync } from 'node:fs';
const model = await loadModel('hbilstm-1.onnx', { device: 'cpu' });
const preds: Prediction[] = await model.predict(['fine']);
const proto: ModelProto = decodeModel(readFileSync('hbilstm-1.onnx'));
console.log(preds[0]?.label, proto.graph?.name);
`,
    );
    writeFileSync(join(app, 'use-cjs.cts'), `import hw = require('highway-onnx');\nexport const load: typeof hw.loadModel = hw.loadModel;\n`);
    const tsc = await run('npx', ['tsc', '-p', '.'], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });
});
