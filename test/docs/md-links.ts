// Relative links and anchors of Markdown files, checked against the files on disk: every
// `[text](path)`, `![alt](path)` and `[text](path#anchor)` / `[text](#anchor)` outside code must
// name a file (or folder) that exists, and an anchor must be a heading of the file it points into.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A link that does not resolve: the file it is in, its 1-based line, the target and why. */
export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  why: string;
}

/** Markdown text with fenced code blocks blanked and inline code spans removed, or (for
 *  headings) only their backticks removed; the line count is kept. */
function withoutCode(markdown: string, inline: 'drop' | 'keep-text' = 'drop'): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      if (inFence) return '';
      return inline === 'drop' ? line.replace(/`+[^`]*`+/g, '') : line.replace(/`/g, '');
    })
    .join('\n');
}

/** GitHub's heading anchor: lower-cased, punctuation other than `-` and `_` dropped, spaces → `-`. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown file offers: its headings' slugs (repeats numbered -1, -2 as GitHub does). */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutCode(markdown, 'keep-text').split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const text = m[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[*_]{1,2}([^*_]+)[*_]{1,2}/g, '$1');
    const base = githubSlug(text);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  // Explicit anchors: <a id="x"> / <a name="x">.
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

/** Every relative link of `markdown` (the text of `file`) that does not resolve. */
export function brokenLinks(file: string, markdown: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const lines = withoutCode(markdown).split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: — not checked here
      const hash = target.indexOf('#');
      const pathPart = decodeURIComponent(hash >= 0 ? target.slice(0, hash) : target);
      const anchor = hash >= 0 ? decodeURIComponent(target.slice(hash + 1)) : null;
      const at = pathPart === '' ? file : resolve(dirname(file), pathPart);
      const report = (why: string): void => void broken.push({ file, line: i + 1, target, why });
      if (!existsSync(at)) {
        report(`no file ${pathPart}`);
        continue;
      }
      if (anchor === null) continue;
      if (statSync(at).isDirectory() || !at.endsWith('.md')) {
        report(`anchor #${anchor} points into ${pathPart}, which is not a Markdown file`);
        continue;
      }
      const text = at === file ? markdown : readFileSync(at, 'utf8');
      if (!anchorsOf(text).has(anchor)) report(`no heading with anchor #${anchor} in ${pathPart || 'this file'}`);
    }
  });
  return broken;
}
