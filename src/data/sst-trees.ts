/**
 * The Stanford Sentiment Treebank's public distribution (`trainDevTestTrees_PTB.zip`:
 * `trees/{train,dev,test}.txt`) holds one PTB-style tree per line, e.g.
 * `(3 (2 It) (4 (2 's) (4 (3 (2 a) (4 gem)) ...)))`. The sentence-level task uses the root
 * label (0–4) and the leaves in order. This converts such a file to the
 * `sentence ||| label` lines that `parseSst` reads; bracket escapes `-LRB-`/`-RRB-` become
 * `(`/`)` as in the copy the project was developed with (the tokenizer accepts both).
 * Pure string code: runs in Node and browsers.
 */
import { DataFormatError, excerpt } from './errors.js';

const LEAF = /\((\d) ([^()\s]+)\)/g;
const UNESCAPE: Readonly<Record<string, string>> = { '-LRB-': '(', '-RRB-': ')', '-LSB-': '[', '-RSB-': ']', '-LCB-': '{', '-RCB-': '}' };

export function parseSstTree(tree: string, file: string, line: number): { text: string; label: number } {
  const s = tree.trim();
  const root = /^\((\d)\s/.exec(s);
  if (!root) throw new DataFormatError(file, line, "a tree starting '(<label 0-4> '", excerpt(s));
  const label = Number(root[1]);
  if (label > 4) throw new DataFormatError(file, line, 'a root label 0-4', root[1]!);
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) break;
  }
  if (depth !== 0) throw new DataFormatError(file, line, 'balanced parentheses', `a tree that ${depth > 0 ? 'is not closed' : 'closes too often'}: ${excerpt(s)}`);
  const words = [...s.matchAll(LEAF)].map((m) => UNESCAPE[m[2]!] ?? m[2]!);
  if (words.length === 0) throw new DataFormatError(file, line, 'at least one leaf (<label> <word>)', excerpt(s));
  return { text: words.join(' '), label };
}

/** A whole trees file → `sentence ||| label\n` lines; blank lines are skipped. */
export function sstTreesToLines(content: string, file: string): string {
  const out: string[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const { text, label } = parseSstTree(raw, file, i + 1);
    out.push(`${text} ||| ${label}\n`);
  });
  return out.join('');
}
