// JSON nesting depth without parsing: lets a reader refuse absurdly deep JSON (a 10^6-deep
// header or metadata value) before anything walks it recursively and overflows the stack.
// Pure string code: runs in Node and browsers.

/** The deepest nesting of arrays/objects in JSON text, counted outside strings; linear, no recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
