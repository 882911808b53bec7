// Text from files (model metadata, tensor names, doc strings) shown on a terminal: control
// characters would let a file move the cursor, clear the screen or hide text, so they are
// shown as escapes instead. Pure string code, identical in Node and the browser.

/**
 * C0 controls (but not the tab), DEL, C1 controls, the line/paragraph separators and the
 * bidirectional overrides/isolates (which reorder what a terminal shows).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every control character written as an escape: `\n`, `\r`, `\x1b`, `\u202e`. */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * JSON text with the characters JSON.stringify leaves raw but a terminal acts on (DEL, C1,
 * separators, bidi controls) written as \u escapes: still valid JSON, the same value when parsed.
 */
export function printableJson(json: string): string {
  // eslint-disable-next-line no-control-regex
  return json.replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
