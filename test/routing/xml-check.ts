/**
 * A small strict XML reader for tests: checks well-formedness (one root, nesting,
 * quoted attributes, no duplicate attributes, only the five named entities or
 * numeric references, no raw `<` or `&`) and returns the element tree.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, where: string): string {
  if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`bad entity in ${where}`);
  return text.replace(ENTITY, (_m, named: string | undefined, dec: string | undefined, hex: string | undefined) =>
    named !== undefined ? (NAMED[named] ?? '') : String.fromCodePoint(dec !== undefined ? Number(dec) : parseInt(hex ?? '0', 16)),
  );
}

export function parseXml(xml: string): XmlElement {
  const text = xml.replace(/^<\?xml[^?]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt === -1 ? text.length : lt);
    if (chunk.trim() !== '' && stack.length === 0) throw new Error(`text outside the root: ${chunk.trim().slice(0, 40)}`);
    decode(chunk, 'text');
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (m === null) throw new Error(`malformed tag at ${lt}: ${text.slice(lt, lt + 60)}`);
    const [, close, name = '', attrText = '', selfClose] = m;
    if (close === '/') {
      if (attrText !== '' || selfClose === '/') throw new Error(`bad closing tag ${name}`);
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}>`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of attrText.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        const key = a[1] ?? '';
        if (key in attrs) throw new Error(`duplicate attribute ${key} on <${name}>`);
        attrs[key] = decode(a[2] ?? a[3] ?? '', `attribute ${key}`);
      }
      const element: XmlElement = { name, attrs, children: [] };
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(element);
      else if (root !== undefined) throw new Error('more than one root element');
      else root = element;
      if (selfClose !== '/') stack.push(element);
    }
    i = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]?.name ?? ''}> is not closed`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Every element named `name` below `root` (depth first). */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (e.name === name) found.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return found;
}
