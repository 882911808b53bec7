// One way for a test to need something the system provides (a Debian package): call
// requireSystemDependency('python3-torch') where the test needs it — in beforeAll for a whole
// suite, or first thing in the test. When it is missing the test fails with one line naming the
// Debian package to install: never a silent skip, never a pass that checked nothing. CI installs
// every package listed here (.ci/run); a developer without one sees which to add.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CodedError } from '../../src/errors.js';

/** How to tell that a system dependency is installed, and which Debian package provides it. */
export interface SystemDependencySpec {
  /** The Debian package to install when it is missing (named in the failure). */
  debianPackage: string;
  /** What the tests use it for, as the failure says it ("PyTorch, for reference values"). */
  purpose: string;
  /** Absolute paths, any one of which being there means it is installed. */
  files?: string[];
  /** A command that must be found on PATH (an executable file). */
  executable?: string;
  /** A module that PYTHON must find (located, not imported: importing torch takes seconds). */
  pythonModule?: string;
}

/** The Python the tests run: Debian's, where python3-torch and python3-onnx install their modules. */
export const PYTHON = '/usr/bin/python3';

/** Where the browser tests look for Chromium (scripts/web-harness.ts reads the same variable). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The Vulkan driver manifest Dawn (onnxruntime-node's WebGPU) loads; vitest.config.ts points it at SwiftShader's. */
const VK_ICDS = (process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json').split(':').filter(Boolean);

/** Every system dependency the suite has, by Debian package name. */
export const SYSTEM_DEPENDENCIES = {
  chromium: { debianPackage: 'chromium', purpose: 'the headless browser of the browser tests (CHROMIUM_PATH overrides its path)', files: [CHROMIUM] },
  'chromium-common': { debianPackage: 'chromium-common', purpose: "SwiftShader's software Vulkan driver, WebGPU's adapter without a GPU (VK_ICD_FILENAMES names its manifest)", files: VK_ICDS },
  libvulkan1: {
    debianPackage: 'libvulkan1',
    purpose: 'the Vulkan loader that onnxruntime-node\'s WebGPU (Dawn) opens',
    files: ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'],
  },
  python3: { debianPackage: 'python3', purpose: 'Python, which runs the reference scripts', files: [PYTHON] },
  'python3-numpy': { debianPackage: 'python3-numpy', purpose: 'NumPy, for reference values', pythonModule: 'numpy' },
  'python3-torch': { debianPackage: 'python3-torch', purpose: 'PyTorch, for reference values and the PyTorch twin', pythonModule: 'torch' },
  'python3-onnx': { debianPackage: 'python3-onnx', purpose: 'the onnx package, whose onnx.checker vets the files we write', pythonModule: 'onnx' },
  'libonnx-testdata': { debianPackage: 'libonnx-testdata', purpose: "ONNX's conformance data (node tests with inputs and expected outputs)", files: ['/usr/share/libonnx-testdata/data/node'] },
  'redis-server': { debianPackage: 'redis-server', purpose: 'the Redis server behind the sweep queue tests', executable: 'redis-server' },
} satisfies Record<string, SystemDependencySpec>;

/** A system dependency the suite knows, by Debian package name. */
export type SystemDependency = keyof typeof SYSTEM_DEPENDENCIES;

/** A test needs a system package that is not installed (code E_SYSTEM_DEPENDENCY). */
export class MissingSystemDependencyError extends CodedError {
  constructor(
    /** The Debian package to install. */
    readonly debianPackage: string,
    message: string,
  ) {
    super('E_SYSTEM_DEPENDENCY', 'MissingSystemDependencyError', message);
  }
}

const found = new Map<string, string | null>();

/** `command` as an executable file in one of PATH's folders, or null. */
function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, command);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** What is missing of `spec`, said as "expected …, found …", or null when it is installed. */
function probe(spec: SystemDependencySpec): string | null {
  if (spec.files && !spec.files.some((f) => existsSync(f))) return `expected ${spec.files.join(' or ')}, found no such file`;
  if (spec.executable && !onPath(spec.executable)) return `expected the command '${spec.executable}' on PATH, found none`;
  if (spec.pythonModule) {
    if (!existsSync(PYTHON)) return `expected ${PYTHON} (Debian's python3), found no such file`;
    const r = spawnSync(PYTHON, ['-c', `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(spec.pythonModule)}) else 3)`], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 3) return `expected ${PYTHON} to find the module '${spec.pythonModule}', found none`;
    if (r.status !== 0) return `expected ${PYTHON} to look for the module '${spec.pythonModule}', but it ${r.error ? `failed: ${r.error.message}` : `exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`}`;
  }
  return null;
}

/**
 * Why `dep` is not usable here (one line naming the Debian package to install), or null when it
 * is installed. Results are kept for the test process: a Python probe costs a process start.
 */
export function missingSystemDependency(dep: SystemDependency | SystemDependencySpec): string | null {
  const spec: SystemDependencySpec = typeof dep === 'string' ? SYSTEM_DEPENDENCIES[dep] : dep;
  const key = JSON.stringify(spec);
  if (!found.has(key)) {
    const missing = probe(spec);
    found.set(key, missing && `missing system dependency ${spec.debianPackage}, ${spec.purpose}: ${missing}; install Debian's ${spec.debianPackage} (apt-get install -y ${spec.debianPackage}; .ci/run does)`);
  }
  return found.get(key)!;
}

/**
 * Fails the calling test (or the suite, from beforeAll) unless every one of `deps` is installed.
 * @throws MissingSystemDependencyError (E_SYSTEM_DEPENDENCY) for the first one missing, its
 *   message naming the Debian package to install.
 */
export function requireSystemDependency(...deps: (SystemDependency | SystemDependencySpec)[]): void {
  for (const dep of deps) {
    const missing = missingSystemDependency(dep);
    if (missing) throw new MissingSystemDependencyError(typeof dep === 'string' ? SYSTEM_DEPENDENCIES[dep].debianPackage : dep.debianPackage, missing);
  }
}
