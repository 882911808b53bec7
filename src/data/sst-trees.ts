/**
 * The Stanford Sentiment Treebank's public distribution (`trainDevTestTrees_PTB.zip`:
 * `trees/{train,dev,test}.txt`) holds one PTB-style tree per line, e.g.
 * `(3 (2 It) (4 (2 's) (4 (3 (2 a) (4 gem)) ...)))`, with a sentiment label 0–4 on every
 * node. The sentence-level task uses the root label and the leaves in order; phrase-level
 * training (Socher et al. 2013, Kim 2014, Tai et al. 2015) uses every labelled node, each
 * node's text being the leaves under it.
 *
 * PTB escapes in leaves are undone here: `-LRB-` → `(` and the other brackets, `\/` → `/`,
 * `\*` → `*`. The `sentence ||| label` copy the project was developed with writes `(` and
 * `/` the same way but keeps `\*` (25 tokens, all in `\*\*`-style expletives); the
 * tokenizer accepts `-LRB-` and `(` alike.
 * Pure string code: runs in Node and browsers.
 */
import { DataFormatError, excerpt } from './errors.js';
import type { Example } from './example.js';
import { SST_BINARY_LABELS, SST_FIVE_CLASS_LABELS, type ParsedSplit } from './readers.js';

const BRACKETS: Readonly<Record<string, string>> = { '-LRB-': '(', '-RRB-': ')', '-LSB-': '[', '-RSB-': ']', '-LCB-': '{', '-RCB-': '}' };
// PTB also escapes '/' and '*' with a backslash (`1\/2`, `\*\*\*`).
const unescapeLeaf = (w: string): string => BRACKETS[w] ?? w.replace(/\\([/*])/g, '$1');

/** One labelled node: its sentiment label 0–4 and the half-open leaf span `[start, end)` it covers. */
export interface SstTreeNode {
  label: number;
  start: number;
  end: number;
}

/** A parsed tree: the leaf words in order and every node in pre-order (`nodes[0]` is the root). */
export interface SstTree {
  words: string[];
  nodes: SstTreeNode[];
}

/**
 * Parses one tree line. Grammar: `node := '(' LABEL (WORD | node+) ')'`, LABEL a digit 0–4.
 * @throws DataFormatError (E_DATA_FORMAT) naming `file:line`, what was expected and what was found.
 */
export function parseSstTreeNodes(tree: string, file: string, line: number): SstTree {
  const s = tree.trim();
  if (!/^\(\d\s/.test(s)) throw new DataFormatError(file, line, "a tree starting '(<label 0-4> '", excerpt(s));
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) break;
  }
  if (depth !== 0) throw new DataFormatError(file, line, 'balanced parentheses', `a tree that ${depth > 0 ? 'is not closed' : 'closes too often'}: ${excerpt(s)}`);

  // Only ASCII blanks separate tokens: a leaf may hold a no-break space (`8\u00a01\/2`).
  const tokens = s.match(/\(|\)|[^() \t\r\n]+/g) ?? [];
  const words: string[] = [];
  const nodes: SstTreeNode[] = [];
  const open: SstTreeNode[] = []; // nodes whose ')' is still to come
  const hasChild: boolean[] = []; // per open node: has it a leaf word or a child node yet
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '(') {
      const labelText = tokens[i + 1];
      if (labelText === undefined || !/^[0-4]$/.test(labelText)) {
        throw new DataFormatError(file, line, "a label 0-4 after '('", excerpt(labelText ?? 'the end of the line'));
      }
      if (open.length === 0 && nodes.length > 0) throw new DataFormatError(file, line, 'one tree per line', `more after the root closes: ${excerpt(s)}`);
      if (open.length > 0 && words.length > open[open.length - 1]!.start && !hasChild[hasChild.length - 1]) {
        // A word directly under this node was already seen: a leaf cannot also hold nodes.
        throw new DataFormatError(file, line, 'a node holding one word or only subtrees', excerpt(s));
      }
      if (open.length > 0) hasChild[hasChild.length - 1] = true;
      const node = { label: Number(labelText), start: words.length, end: words.length };
      nodes.push(node);
      open.push(node);
      hasChild.push(false);
      i++;
    } else if (t === ')') {
      const node = open.pop()!;
      const had = hasChild.pop()!;
      node.end = words.length;
      if (node.end === node.start) throw new DataFormatError(file, line, 'a word or a subtree in every node', `an empty node in ${excerpt(s)}`);
      if (!had && node.end - node.start !== 1) throw new DataFormatError(file, line, 'one word per leaf', excerpt(s));
    } else {
      if (open.length === 0) throw new DataFormatError(file, line, 'words inside the tree', excerpt(t));
      if (hasChild[hasChild.length - 1]) throw new DataFormatError(file, line, 'a node holding one word or only subtrees', `${excerpt(t)} beside subtrees`);
      words.push(unescapeLeaf(t));
    }
  }
  return { words, nodes };
}

/** A tree line → its sentence (leaves joined by spaces) and root label 0–4. */
export function parseSstTree(tree: string, file: string, line: number): { text: string; label: number } {
  const { words, nodes } = parseSstTreeNodes(tree, file, line);
  return { text: words.join(' '), label: nodes[0]!.label };
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

export interface SstTreesOptions {
  file: string;
  /** SST-2: drop neutral (2), map 0–1 → negative (0) and 3–4 → positive (1). */
  binary: boolean;
  /** Every labelled node is an example (phrase-level training); otherwise the root only. */
  phrases: boolean;
  /**
   * With `phrases`: keep one example per distinct (text, label) pair in the file, in order
   * of first appearance. Default false: a phrase occurring in several trees (or twice in
   * one) is an example each time, so frequent phrases weigh as often as they occur.
   */
  distinct?: boolean;
}

/**
 * A trees file → examples with SST's fixed label list. Without `phrases` it is the same
 * data as the `sentence ||| label` reader gives for the same split.
 * @throws DataFormatError (E_DATA_FORMAT) on a malformed tree, naming file and line.
 */
export function parseSstTrees(content: string, opts: SstTreesOptions): ParsedSplit {
  const { file, binary, phrases, distinct = false } = opts;
  const examples: Example[] = [];
  const seen = new Set<string>();
  const add = (text: string, label: number): void => {
    if (binary && label === 2) return;
    const id = binary ? (label < 2 ? 0 : 1) : label;
    if (distinct) {
      const key = `${id}\t${text}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    examples.push({ text, label: id });
  };
  content.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const { words, nodes } = parseSstTreeNodes(raw, file, i + 1);
    for (const node of phrases ? nodes : nodes.slice(0, 1)) add(words.slice(node.start, node.end).join(' '), node.label);
  });
  return { file, examples, labels: [...(binary ? SST_BINARY_LABELS : SST_FIVE_CLASS_LABELS)], labelKind: 'fixed' };
}
