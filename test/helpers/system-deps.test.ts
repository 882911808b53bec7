// requireSystemDependency fails, naming the Debian package, for something that is not there (a
// file, a command, a Python module that do not exist), and passes for the suite's own list here.
import { readFileSync } from 'node:fs';
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../train/cli-child.js';
import { MissingSystemDependencyError, PYTHON, requireSystemDependency, SYSTEM_DEPENDENCIES, type SystemDependency } from './system-deps.js';

/** The error requireSystemDependency threw, or a failure when it threw none. */
function refusal(...deps: Parameters<typeof requireSystemDependency>): MissingSystemDependencyError {
  try {
    requireSystemDependency(...deps);
  } catch (e) {
    expect(e).toBeInstanceOf(MissingSystemDependencyError);
    return e as MissingSystemDependencyError;
  }
  throw new Error('requireSystemDependency passed for a dependency that is not installed');
}

describe('requireSystemDependency', () => {
  it('a missing file fails with E_SYSTEM_DEPENDENCY and one line naming the Debian package', () => {
    const e = refusal({ debianPackage: 'no-such-package', purpose: 'a test of the helper', files: ['/nonexistent/highway-onnx/a', '/nonexistent/highway-onnx/b'] });
    expect([e.code, e.name, e.debianPackage]).toEqual(['E_SYSTEM_DEPENDENCY', 'MissingSystemDependencyError', 'no-such-package']);
    expect(e.message).toBe(
      'missing system dependency no-such-package, a test of the helper: expected /nonexistent/highway-onnx/a or /nonexistent/highway-onnx/b, found no such file; ' +
        "install Debian's no-such-package (apt-get install -y no-such-package; .ci/run does)",
    );
    expect(e.message).not.toContain('\n');
  });

  it('a command not on PATH fails', () => {
    const e = refusal({ debianPackage: 'no-such-server', purpose: 'a test of the helper', executable: 'highway-onnx-no-such-command' });
    expect(e.message).toMatch(/^missing system dependency no-such-server, a test of the helper: expected the command 'highway-onnx-no-such-command' on PATH, found none; install Debian's no-such-server /);
  });

  it(`a Python module ${PYTHON} cannot find fails`, () => {
    const e = refusal({ debianPackage: 'python3-no-such-module', purpose: 'a test of the helper', pythonModule: 'highway_onnx_no_such_module' });
    expect(e.message).toMatch(new RegExp(`: expected ${PYTHON} to find the module 'highway_onnx_no_such_module', found none; install Debian's python3-no-such-module `));
  });

  it('the first missing of several is the one named; the ones installed pass', () => {
    const e = refusal('python3', { debianPackage: 'second-missing', purpose: 'x', files: ['/nonexistent/2'] }, { debianPackage: 'third-missing', purpose: 'x', files: ['/nonexistent/3'] });
    expect(e.debianPackage).toBe('second-missing');
  });

  // One way, kept: a test file that runs Python, redis-server or Chromium, or reads the
  // conformance data, by path also asks for it here (so a missing package fails, naming it).
  it('every test file that uses a system dependency directly asks requireSystemDependency for it', () => {
    const uses = /'\/usr\/bin\/python3'|\b(?:spawn|spawnSync|execFile|execFileSync)\((?:PYTHON|'python3')|spawn\('redis-server'|\/usr\/share\/libonnx-testdata|chromium\.launch\(|\/usr\/bin\/chromium/;
    const code = (file: string): string => readFileSync(`${ROOT}/${file}`, 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n');
    const files = globSync(['test/**/*.ts', 'src/**/*.test.ts'], { cwd: ROOT, ignore: ['test/fixtures/**', 'test/helpers/system-deps*.ts'] });
    const using = files.filter((f) => uses.test(code(f)));
    expect(using.length).toBeGreaterThan(5); // the pattern still finds the known users
    expect(using.filter((f) => !code(f).includes('requireSystemDependency('))).toEqual([]);
  });

  // The suite's own list, checked where CI runs it: a wrong path in the table fails here first.
  it.each(Object.keys(SYSTEM_DEPENDENCIES) as SystemDependency[])('%s is installed here', (dep) => {
    expect(() => requireSystemDependency(dep)).not.toThrow();
  });
});
