// The house rules of src/ (DESIGN.md, "Architecture"): every import points down a floor, no two
// modules import each other, and every folder has its place. Reads the real source tree, so a
// new folder, an upward import or a cycle fails here with the file and the import named.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/** Floors, lowest first. A module may import its own files and any module on a lower floor. */
const FLOORS: readonly (readonly string[])[] = [
  ['errors', 'printable', 'dtypes'],
  ['io'],
  ['onnx', 'formats', 'data', 'charts'],
  ['graph'],
  ['autodiff', 'onnx-import', 'optim', 'nn'],
  ['models'],
  ['runtime'],
  ['train'],
  ['interop', 'inspect', 'serve', 'experiment'],
  ['sweep'],
  ['cli', 'web', 'index'],
];

const floorOf = new Map(FLOORS.flatMap((mods, floor) => mods.map((m) => [m, floor] as const)));

/** The source files under dir; tests filed beside them (`*.test.ts`) may import test/ helpers, so they are not scanned. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

/** 'src/graph/ops/nn.ts' → 'graph'; 'src/errors.ts' → 'errors'. */
const moduleOf = (file: string): string => relative(SRC, file).split(/[\\/]/)[0]!.replace(/\.ts$/, '');

/** Relative imports and re-exports of a file, resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'(\.[^']*)'/g)].map((m) => normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('the layers of src/', () => {
  it('scan the source files and leave out the tests filed beside them', () => {
    const all = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBe(all.filter((f) => !f.endsWith('.test.ts')).length);
    expect(files.length).toBeGreaterThan(100);
    expect(all.some((f) => f.endsWith('.test.ts'))).toBe(true); // the filter has tests to leave out
    expect(files).toContain(join(SRC, 'runtime', 'predictor.ts'));
  });

  it('place every folder on a floor', () => {
    const unplaced = [...new Set(files.map(moduleOf))].filter((m) => !floorOf.has(m));
    expect(unplaced, 'add new folders to FLOORS in test/architecture/layers.test.ts').toEqual([]);
  });

  it('import only downward', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = moduleOf(file);
      for (const t of targets) {
        const to = moduleOf(t);
        if (to === from) continue;
        if ((floorOf.get(to) ?? Infinity) >= (floorOf.get(from) ?? -1)) upward.push(`${relative(SRC, file)} → ${relative(SRC, t)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('have no import cycles between files', () => {
    // Tarjan's strongly connected components over the file graph.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let next = 0;
    const visit = (v: string): void => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(relative(SRC, w));
        } while (w !== v);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const f of files) if (!index.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
