// WebGPU in Node: which adapter onnxruntime-node's bundled Dawn would get, and whether it
// starts at all. On Linux Dawn uses Vulkan, so the adapter is decided by the Vulkan drivers
// (ICD manifests) the loader sees; a software one (SwiftShader, lavapipe) is usable for
// correctness but never chosen by 'auto'. Starting Dawn is probed in a child process because
// Dawn and the Vulkan loader write their warnings straight to the process's stderr (fd 2),
// which JavaScript cannot silence: the child's stderr is captured and shown only on request.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { encodeModel } from '../onnx/proto.js';
import { ONNX_TYPE } from '../dtypes.js';
import { SOFTWARE_ADAPTER, type GpuAdapterSummary } from './adapter.js';

/** One Vulkan driver the loader would offer Dawn. */
export interface VulkanDriver {
  /** The ICD manifest (.json). */
  manifest: string;
  /** The driver library it names. */
  library: string;
  name: string;
  software: boolean;
}

/** Where the Vulkan loader looks for ICD manifests when no environment variable overrides it. */
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

const KNOWN: [RegExp, string][] = [
  [/swiftshader/i, 'SwiftShader'],
  [/lvp|lavapipe/i, 'lavapipe'],
  [/nvidia/i, 'NVIDIA'],
  [/radeon|amd/i, 'AMD'],
  [/intel/i, 'Intel'],
];

function driverOf(manifest: string): VulkanDriver | null {
  try {
    const icd = (JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: string } }).ICD;
    const library = icd?.library_path ?? '';
    const full = isAbsolute(library) || !library.includes('/') ? library : join(dirname(manifest), library);
    const hit = KNOWN.find(([re]) => re.test(manifest) || re.test(library));
    const software = SOFTWARE_ADAPTER.test(basename(manifest)) || SOFTWARE_ADAPTER.test(basename(library));
    return { manifest, library: full, name: `${hit?.[1] ?? basename(library, '.so')} (Vulkan${software ? ', software' : ''})`, software };
  } catch {
    return null; // an unreadable manifest is one the loader skips too
  }
}

/**
 * The Vulkan drivers the loader would see: VK_DRIVER_FILES / VK_ICD_FILENAMES (colon-separated
 * manifests, as the loader reads them) when set, else the standard manifest directories.
 */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): VulkanDriver[] {
  const listed = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const manifests = listed
    ? listed.split(':').filter((m) => m !== '')
    : ICD_DIRS.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)) : []));
  return manifests.map(driverOf).filter((d): d is VulkanDriver => d !== null);
}

/**
 * The adapter Dawn would pick from these drivers (a hardware one first, as Dawn's
 * high-performance preference does), or null when there is none.
 */
export function expectedNodeAdapter(drivers: readonly VulkanDriver[] = vulkanDrivers()): GpuAdapterSummary | null {
  if (process.platform !== 'linux') {
    // Metal (macOS) and D3D12 (Windows) adapters are hardware unless the system has no GPU;
    // onnxruntime-node exposes no adapter info to tell, so the platform backend is named.
    return { name: process.platform === 'darwin' ? 'Metal' : 'D3D12', software: false };
  }
  const best = drivers.find((d) => !d.software) ?? drivers[0];
  return best ? { name: best.name, software: best.software } : null;
}

/** Outcome of starting WebGPU once in a child process. */
export interface WebgpuProbe {
  ok: boolean;
  /** The adapter expected from the Vulkan drivers (null: none found). */
  adapter: GpuAdapterSummary | null;
  /** Why it failed, one line (ok: false). */
  error?: string;
  /** Everything Dawn, Vulkan and onnxruntime wrote to stderr while starting. */
  log: string;
}

/** A one-node float model (Sigmoid over [4]): enough for Dawn to create a device and run a shader. */
function probeModel(): Uint8Array {
  const tensorType = { elemType: ONNX_TYPE.FLOAT, shape: { dim: [{ dimValue: 4 }] } };
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'webgpu_probe',
      node: [{ opType: 'Sigmoid', input: ['x'], output: ['y'] }],
      input: [{ name: 'x', type: { tensorType } }],
      output: [{ name: 'y', type: { tensorType } }],
    },
  });
}

const PROBE = `
const ort = require(process.argv[1]);
const bytes = Buffer.from(process.argv[2], 'base64');
ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], logSeverityLevel: 3 })
  .then((s) => s.run({ x: new ort.Tensor('float32', Float32Array.of(0, 1, 2, 3), [4]) }).then((o) => {
    const y = o.y.data;
    if (Math.abs(y[0] - 0.5) > 1e-5) throw new Error('the WebGPU probe computed sigmoid(0) = ' + y[0]);
    process.stdout.write('ok');
  }))
  .catch((e) => { process.stdout.write('fail ' + String(e && e.message || e)); });
`;

/** Reduce onnxruntime's "<C++ source path>:<line> <function> <condition> was false. <reason>" to the reason. */
export function webgpuFailureReason(message: string): string {
  const line = message.split('\n').find((l) => l.trim() !== '') ?? message;
  const m = /was false\.\s*(.*)$/.exec(line) ?? /\]\s*(.*)$/.exec(line);
  return (m?.[1] ?? line).trim().slice(0, 300);
}

let cached: WebgpuProbe | undefined;

/**
 * Start WebGPU once in a child process (cached for this process, about a second): whether
 * onnxruntime-node gets an adapter and runs a shader on it, with the noise it printed.
 */
export function probeNodeWebgpu(): WebgpuProbe {
  if (cached) return cached;
  const adapter = expectedNodeAdapter();
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const r = spawnSync(process.execPath, ['-e', PROBE, ortPath, Buffer.from(probeModel()).toString('base64')], { encoding: 'utf8', timeout: 60_000 });
  const out = r.stdout ?? '';
  const log = `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`.trim();
  if (out === 'ok') cached = { ok: true, adapter, log };
  else {
    const why = out.startsWith('fail ') ? webgpuFailureReason(out.slice(5)) : `the probe process ended with ${r.signal ?? `status ${r.status}`}`;
    cached = { ok: false, adapter, error: why, log };
  }
  return cached;
}

/** One line for "webgpu asked for, but no adapter": what was found and what to do. */
export function noAdapterMessage(probe: WebgpuProbe): string {
  const drivers = vulkanDrivers();
  const seen = drivers.length > 0 ? `Vulkan drivers seen: ${drivers.map((d) => d.name).join(', ')}` : 'no Vulkan driver (ICD manifest) found';
  const loader = /libvulkan\.so/.test(probe.log) ? '; the Vulkan loader libvulkan.so.1 is missing (Debian: libvulkan1)' : '';
  return `device 'webgpu' has no usable GPU adapter: ${probe.error ?? 'unknown failure'} (${seen}${loader}; without a GPU, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json gives a software adapter for correctness checks; --verbose shows the driver log)`;
}
