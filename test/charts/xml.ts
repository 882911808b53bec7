// A small XML well-formedness parser for the chart tests (no XML library is installed):
// elements, attributes, text, comments and the XML declaration; throws on mismatched
// tags, unquoted or duplicate attributes, a bare '&' or '<' in text.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /[A-Za-z_:][\w:.-]*/y;
const ENTITY = /&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

export function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML error at offset ${i}: ${msg} (near ${JSON.stringify(src.slice(Math.max(0, i - 30), i + 30))})`);
  };
  const checkText = (t: string, start: number): void => {
    for (let k = 0; k < t.length; k++) {
      if (t[k] === '<') fail('bare < in text');
      if (t[k] === '&') {
        ENTITY.lastIndex = k;
        if (!ENTITY.test(t)) {
          i = start + k;
          fail('bare & (not an entity)');
        }
      }
    }
  };
  const skipWs = (): void => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(src);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  skipWs();
  if (src.startsWith('<?xml', i)) {
    const end = src.indexOf('?>', i);
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    checkText(text, i);
    stack[stack.length - 1]!.text += text;
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (src.startsWith('</', i)) {
      i += 2;
      const n = name();
      skipWs();
      if (src[i] !== '>') fail('expected >');
      i++;
      const top = stack.pop()!;
      if (top.name !== n) fail(`closing </${n}> does not match <${top.name}>`);
      continue;
    }
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      skipWs();
      if (src.startsWith('/>', i)) {
        i += 2;
        stack[stack.length - 1]!.children.push(el);
        break;
      }
      if (src[i] === '>') {
        i++;
        stack[stack.length - 1]!.children.push(el);
        stack.push(el);
        break;
      }
      if (i === before) fail('expected whitespace before an attribute');
      const a = name();
      skipWs();
      if (src[i] !== '=') fail(`attribute ${a} without =`);
      i++;
      skipWs();
      const q = src[i];
      if (q !== '"' && q !== "'") fail(`attribute ${a} is not quoted`);
      const end = src.indexOf(q!, i + 1);
      if (end < 0) fail('unterminated attribute value');
      const value = src.slice(i + 1, end);
      checkText(value, i + 1);
      if (a in el.attrs) fail(`duplicate attribute ${a}`);
      el.attrs[a] = value;
      i = end + 1;
    }
  }
  if (stack.length !== 1) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) fail(`expected one root element, found ${root.children.length}`);
  if (root.text.trim() !== '') fail('text outside the root element');
  return root.children[0]!;
}

export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) findAll(c, pred, out);
  return out;
}

/** Every number in coordinate-like attributes; the chart tests require them all finite. */
export function coordinateValues(el: XmlElement): string[] {
  const keys = ['x', 'y', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'r', 'width', 'height', 'points', 'd'];
  return findAll(el, () => true).flatMap((e) => keys.filter((k) => k in e.attrs).map((k) => e.attrs[k]!));
}
