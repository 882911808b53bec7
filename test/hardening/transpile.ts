// Child processes that must start fast (the kill -9 test starts dozens): transpile a TS entry
// and the relative imports it reaches into plain ESM with the project's own TypeScript, so
// `node child.js` starts in a fraction of the time `node --import tsx` needs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Writes entry and everything it imports relatively under outDir; returns the entry's .js path. */
export function transpileTree(entry: string, root: string, outDir: string): string {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false, isolatedModules: true },
      fileName: file,
    }).outputText;
    const target = join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out);
    for (const m of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) visit(resolve(dirname(file), `${m[1]}.ts`));
  };
  visit(resolve(entry));
  writeFileSync(join(outDir, 'package.json'), '{"type": "module"}\n');
  return join(outDir, relative(root, resolve(entry))).replace(/\.ts$/, '.js');
}
