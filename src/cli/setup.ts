// `highway-onnx setup cuda`: install onnxruntime-node's CUDA 12 execution provider.
// onnxruntime-node bundles CPU (and WebGPU on linux-x64) but fetches its CUDA libraries from
// NuGet (api.nuget.org), outside the npm registry, in an install script that projects deny
// (`allowScripts`) so installing never needs that network. This runs the same script on request.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CodedError } from '../errors.js';

/** `setup` failed: the provider could not be installed (code E_SETUP). */
export class SetupError extends CodedError {
  constructor(message: string) {
    super('E_SETUP', 'SetupError', message);
  }
}

/** What `setup` can install: name → the onnxruntime-node install flag. */
export const SETUP_TARGETS = { cuda: 'cuda12' } as const;
/** A provider name `setup` accepts ('cuda'). */
export type SetupTarget = keyof typeof SETUP_TARGETS;

/** The onnxruntime-node package folder this copy of highway-onnx loads. */
export function onnxruntimeNodeDir(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
}

/**
 * Runs onnxruntime-node's installer for `target` (needs network to api.nuget.org and, to use
 * it, an NVIDIA driver with CUDA 12). Resolves with the providers available afterwards, as
 * listSupportedBackends reports them in a fresh process; throws SetupError (E_SETUP) when the
 * installer exits non-zero or the provider is still missing.
 */
export async function setupProvider(target: SetupTarget, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string[]> {
  const dir = onnxruntimeNodeDir();
  log(`installing onnxruntime-node's ${target} provider into ${dir} (downloads from api.nuget.org)`);
  const status = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'script', 'install.js')], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: SETUP_TARGETS[target] },
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (status !== 0) {
    throw new SetupError(`onnxruntime-node's installer exited with status ${status} while installing the ${target} provider (it needs network access to api.nuget.org; see the lines above)`);
  }
  // The native binding caches what it found at load time: ask a fresh process.
  const after = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(dir)}).listSupportedBackends()))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
  const backends = (JSON.parse(after || '[]') as { name: string; bundled: boolean }[]).filter((b) => b.bundled).map((b) => b.name);
  if (!backends.includes(target)) throw new SetupError(`the installer finished but onnxruntime-node still lacks the ${target} provider (available: ${backends.join(', ')})`);
  log(`available execution providers: ${backends.join(', ')}`);
  return backends;
}
