// Execution-provider choice and its failures, with onnxruntime's session factory replaced so
// the CUDA paths run without a GPU: which providers are asked for, when 'auto' falls back,
// and whether a failure is blamed on the device or on the model.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { openNodeSession, loadModel, type SessionBackend } from './node.js';
import { DeviceUnavailableError, ModelLoadError } from './errors.js';
import { modelBytes } from '../../test/serve/helpers.js';
import { requireSystemDependency } from '../../test/helpers/system-deps.js';

type Create = SessionBackend['create'];
function fake(available: string[], fails: (providers: string[]) => string | null): { backend: SessionBackend; calls: { providers: string[]; threads?: number }[]; released: number } {
  const log = { calls: [] as { providers: string[]; threads?: number }[], released: 0 };
  const create: Create = async (_bytes, options) => {
    const providers = (options.executionProviders ?? []) as string[];
    log.calls.push({ providers, ...(options.intraOpNumThreads ? { threads: options.intraOpNumThreads } : {}) });
    const why = fails(providers);
    if (why) throw new Error(`${why}\nstack of native frames`);
    return { release: async () => void log.released++ } as unknown as ort.InferenceSession;
  };
  return { backend: { available: () => available, create }, ...log, get released() { return log.released; } } as never;
}

const bytes = new Uint8Array(8);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('device choice (CUDA logic, no GPU needed)', () => {
  it('cuda, when its provider is bundled and starts: cuda first, cpu for the ops it lacks', async () => {
    const f = fake(['cpu', 'cuda'], () => null);
    const s = await openNodeSession(bytes, { device: 'cuda', threads: 2 }, f.backend);
    expect(s.provider).toBe('cuda');
    expect(f.calls).toEqual([{ providers: ['cuda', 'cpu'], threads: 2 }]);
  });

  it('auto prefers cuda when bundled, and uses cpu alone otherwise', async () => {
    const withCuda = fake(['cpu', 'webgpu', 'cuda'], () => null);
    expect((await openNodeSession(bytes, { device: 'auto' }, withCuda.backend)).provider).toBe('cuda');
    const cpuOnly = fake(['cpu', 'webgpu'], () => null);
    expect((await openNodeSession(bytes, { device: 'auto' }, cpuOnly.backend)).provider).toBe('cpu');
    expect(cpuOnly.calls).toEqual([{ providers: ['cpu'] }]);
  });

  it('cuda not installed: DeviceUnavailableError with the setup-cuda hint, before onnxruntime is asked', async () => {
    const f = fake(['cpu', 'webgpu'], () => null);
    const e = await failure(openNodeSession(bytes, { device: 'cuda' }, f.backend));
    expect(e).toBeInstanceOf(DeviceUnavailableError);
    expect(e.code).toBe('E_DEVICE_UNAVAILABLE');
    expect(e.message).toBe("device 'cuda' is not available in this onnxruntime build; available: cpu, webgpu (run 'npx highway-onnx setup cuda' on a machine with CUDA 12 and network)");
    expect(f.calls).toEqual([]);
  });

  it('cuda installed but failing to start: auto falls back to cpu and says why once', async () => {
    const f = fake(['cpu', 'cuda'], (p) => (p[0] === 'cuda' ? 'CUDA failure 100: no CUDA-capable device is detected' : null));
    const warnings: string[] = [];
    const s = await openNodeSession(bytes, { device: 'auto', onFallback: (m) => warnings.push(m) }, f.backend);
    expect(s.provider).toBe('cpu');
    expect(f.calls.map((c) => c.providers)).toEqual([['cuda', 'cpu'], ['cpu']]);
    expect(warnings).toEqual(["device 'auto': cuda is installed but failed to start (CUDA failure 100: no CUDA-capable device is detected); running on cpu"]);
  });

  it('cuda asked by name but failing to start: DeviceUnavailableError naming the cause (never a silent cpu run)', async () => {
    const f = fake(['cpu', 'cuda'], (p) => (p[0] === 'cuda' ? 'libcudnn.so.9: cannot open shared object file' : null));
    const e = await failure(openNodeSession(bytes, { device: 'cuda' }, f.backend));
    expect(e).toBeInstanceOf(DeviceUnavailableError);
    expect(e.message).toBe("device 'cuda' is installed but onnxruntime could not start it: libcudnn.so.9: cannot open shared object file (it needs an NVIDIA driver and the CUDA 12 / cuDNN 9 libraries on the library path; --device auto falls back to cpu)");
    expect(f.released).toBe(1); // the probe session on cpu is released
  });

  it('a model that fails on every provider is the model’s fault: ModelLoadError with the cpu message', async () => {
    const f = fake(['cpu', 'cuda'], () => 'Load model failed: invalid graph');
    for (const device of ['cuda', 'auto', 'cpu'] as const) {
      const e = await failure(openNodeSession(bytes, { device }, f.backend));
      expect(e).toBeInstanceOf(ModelLoadError);
      expect(e.message).toBe('onnxruntime could not load the model on cpu: Load model failed: invalid graph');
    }
  });

  it('on this machine: auto runs on cpu (the only adapter is software); cuda is not installed; webgpu runs', async () => {
    const auto = await loadModel(modelBytes, { device: 'auto', onFallback: () => undefined });
    expect(['cpu', 'cuda']).toContain(auto.provider);
    await auto.release();
    if (!ort.listSupportedBackends().some((b) => b.name === 'cuda' && b.bundled)) {
      await expect(loadModel(modelBytes, { device: 'cuda' })).rejects.toThrow(/npx highway-onnx setup cuda/);
    }
    // A missing adapter is a failure here: CI provides SwiftShader's (vitest.config.ts).
    requireSystemDependency('libvulkan1', 'chromium-common');
    const gpu = await loadModel(modelBytes, { device: 'webgpu' });
    expect(gpu.provider).toBe('webgpu');
    expect(gpu.adapter).toEqual({ name: expect.stringMatching(/SwiftShader/), software: true });
    await gpu.release();
  });
});

describe('WebGPU in device choice (adapter logic, no GPU needed)', () => {
  const hardware = { name: 'NVIDIA (Vulkan)', software: false };
  const software = { name: 'SwiftShader (Vulkan, software)', software: true };
  const probe = (ok: boolean, adapter = hardware) => () => ({ ok, adapter, log: 'Warning: vkCreateInstance: Found no drivers!', ...(ok ? {} : { error: 'Failed to get a WebGPU adapter: No supported adapters' }) });

  it("auto: cuda first, then a hardware WebGPU adapter, then cpu; never a software adapter", async () => {
    const withCuda = fake(['cpu', 'webgpu', 'cuda'], () => null);
    expect((await openNodeSession(bytes, { device: 'auto' }, { ...withCuda.backend, webgpuAdapter: () => hardware, probeWebgpu: probe(true) })).provider).toBe('cuda');
    const hw = fake(['cpu', 'webgpu'], () => null);
    const s = await openNodeSession(bytes, { device: 'auto' }, { ...hw.backend, webgpuAdapter: () => hardware, probeWebgpu: probe(true) });
    expect(s.provider).toBe('webgpu');
    expect(s.adapter).toEqual(hardware);
    expect(hw.calls.map((c) => c.providers)).toEqual([['webgpu', 'cpu']]);
    let probed = false;
    const sw = fake(['cpu', 'webgpu'], () => null);
    const t = await openNodeSession(bytes, { device: 'auto' }, { ...sw.backend, webgpuAdapter: () => software, probeWebgpu: () => ((probed = true), probe(true, software)()) });
    expect(t.provider).toBe('cpu');
    expect(probed).toBe(false); // a software adapter is not even started under auto
  });

  it('auto: a hardware adapter that fails to start falls back to cpu with one warning', async () => {
    const f = fake(['cpu', 'webgpu'], () => null);
    const warnings: string[] = [];
    const s = await openNodeSession(bytes, { device: 'auto', onFallback: (m) => warnings.push(m) }, { ...f.backend, webgpuAdapter: () => hardware, probeWebgpu: probe(false) });
    expect(s.provider).toBe('cpu');
    expect(warnings).toEqual(["device 'auto': the NVIDIA (Vulkan) WebGPU adapter failed to start (Failed to get a WebGPU adapter: No supported adapters); running on cpu"]);
  });

  it('webgpu by name: a software adapter is used; no adapter is one clear DeviceUnavailableError', async () => {
    const f = fake(['cpu', 'webgpu'], () => null);
    const s = await openNodeSession(bytes, { device: 'webgpu' }, { ...f.backend, webgpuAdapter: () => software, probeWebgpu: probe(true, software) });
    expect(s.provider).toBe('webgpu');
    expect(s.adapter).toEqual(software);
    const g = fake(['cpu', 'webgpu'], () => null);
    const e = await failure(openNodeSession(bytes, { device: 'webgpu' }, { ...g.backend, webgpuAdapter: () => null, probeWebgpu: probe(false) }));
    expect(e).toBeInstanceOf(DeviceUnavailableError);
    expect(e.message).toMatch(/^device 'webgpu' has no usable GPU adapter: Failed to get a WebGPU adapter: No supported adapters \(/);
    expect(e.message).not.toMatch(/\.cc:|\/onnxruntime_src\//);
    expect(g.calls).toEqual([]); // onnxruntime was not asked in this process
  });
});

describe('the CLI on webgpu', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-device-'));
  const model = join(dir, 'model.onnx');
  writeFileSync(model, modelBytes);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });

  it('predicts quietly: stdout has the predictions, stderr nothing (no onnxruntime or Dawn warnings)', () => {
    requireSystemDependency('libvulkan1', 'chromium-common');
    const r = cli(['predict', '-m', model, '--device', 'webgpu', 'a gripping film']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim()).label).toMatch(/^(negative|positive)$/);
  });

  it('with no adapter: exactly one line naming the cause; --verbose adds the driver log', () => {
    requireSystemDependency('libvulkan1'); // the loader is there, the driver it is pointed at is not
    const r = cli(['predict', '-m', model, '--device', 'webgpu', 'x'], { VK_ICD_FILENAMES: join(dir, 'none.json') });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^highway-onnx: \[E_DEVICE_UNAVAILABLE\] device 'webgpu' has no usable GPU adapter: .*no Vulkan driver/);
    const v = cli(['predict', '--verbose', '-m', model, '--device', 'webgpu', 'x'], { VK_ICD_FILENAMES: join(dir, 'none.json') });
    expect(v.status).toBe(1);
    expect(v.stderr).toMatch(/vkCreateInstance|Vulkan/);
    expect(v.stderr).toMatch(/\[E_DEVICE_UNAVAILABLE\]/);
  });
});
