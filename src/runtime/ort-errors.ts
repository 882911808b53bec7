// onnxruntime's error messages as a user should see them. Its C++ exceptions start with the
// source location and the throwing function's signature ("/onnxruntime_src/onnxruntime/core/
// graph/model.cc:202 onnxruntime::Model::Model(onnx::ModelProto&&, …) Unsupported model IR
// version: 99 …"): noise for a user, and a leak of build paths. Only the explanation is kept.
// Pure string code: the Node and browser loaders share it.

/** A C++ source location: an optional directory path, a file with a C/C++ extension, a line. */
const SOURCE_LOCATION = /(?:\/[^\s:]*\/)?[\w.+-]+\.(?:cc|cpp|cxx|c|h|hpp|hh):\d+\s*/g;
/** The start of a function signature: optional return type, then a `::`-qualified name and `(`. */
const SIGNATURE_START = /^(?:[\w:<>,*&]+\s+)?[\w:<>~]*::[\w~]+\(/;

/** Drop a balanced `( … )` signature that starts the text (after SIGNATURE_START). */
function dropSignature(text: string): string {
  const m = SIGNATURE_START.exec(text);
  if (!m) return text;
  let depth = 0;
  for (let i = m[0].length - 1; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return text.slice(i + 1).trimStart();
  }
  return text;
}

/**
 * The first line of an onnxruntime error, without C++ source paths and function signatures,
 * without the "[ONNXRuntimeError] : 1 : FAIL :" status prefix, at most `max` characters.
 */
export function ortMessage(e: unknown, max = 500): string {
  const raw = e instanceof Error ? e.message : String(e);
  let text = raw.replace(/\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*/g, '');
  // A location may sit at the start or after a prefix ("Exception during initialization: …").
  text = text.replace(SOURCE_LOCATION, '\u0000');
  text = text.split('\u0000').map((part, i) => (i === 0 ? part : dropSignature(part))).join('');
  const first = text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '(onnxruntime gave no message)';
  return first.length > max ? `${first.slice(0, max)}…` : first;
}

/** True for messages that come from onnxruntime (its status text or C++ source locations). */
export function isOrtMessage(message: string): boolean {
  return /ONNXRuntimeError|onnxruntime|Non-zero status code returned while running|\.(?:cc|cpp|h):\d+/.test(message);
}
