/**
 * Finds the element tags of an XML text without re-serialising anything: each tag's span
 * in the text, its name and its attributes (decoded), skipping comments, CDATA sections,
 * processing instructions and declarations. `freecti migrate-dialplan` edits those spans
 * only, so every other byte of a dialplan stays as the operator wrote it.
 */

export interface XmlTag {
  /** Offset of `<`. */
  start: number;
  /** Offset just after `>`. */
  end: number;
  name: string;
  /** Decoded attribute values by name (first occurrence wins). */
  attributes: ReadonlyMap<string, string>;
  selfClosing: boolean;
  /** 1-based line of `<`. */
  line: number;
}

export class XmlScanError extends Error {}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTRIBUTE = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;

/** Every start or empty-element tag, in order. Throws XmlScanError on a tag it cannot read. */
export function scanTags(text: string): XmlTag[] {
  const tags: XmlTag[] = [];
  let at = 0;
  let line = 1;
  let counted = 0;
  const lineAt = (offset: number): number => {
    for (; counted < offset; counted++) if (text.charCodeAt(counted) === 10) line++;
    return line;
  };
  for (;;) {
    const lt = text.indexOf('<', at);
    if (lt === -1) return tags;
    const skip = (open: string, close: string): boolean => {
      if (!text.startsWith(open, lt)) return false;
      const stop = text.indexOf(close, lt + open.length);
      if (stop === -1) throw new XmlScanError(`line ${lineAt(lt)}: ${open} without ${close}`);
      at = stop + close.length;
      return true;
    };
    if (skip('<!--', '-->') || skip('<![CDATA[', ']]>') || skip('<?', '?>') || skip('<!', '>')) continue;
    if (text[lt + 1] === '/') {
      const gt = text.indexOf('>', lt);
      if (gt === -1) throw new XmlScanError(`line ${lineAt(lt)}: unterminated end tag`);
      at = gt + 1;
      continue;
    }
    NAME.lastIndex = lt + 1;
    const name = NAME.exec(text)?.[0];
    if (name === undefined) throw new XmlScanError(`line ${lineAt(lt)}: '<' not followed by a tag name`);
    let pos = lt + 1 + name.length;
    const attributes = new Map<string, string>();
    for (;;) {
      ATTRIBUTE.lastIndex = pos;
      const match = ATTRIBUTE.exec(text);
      if (match === null) break;
      const attr = match[1] ?? '';
      if (!attributes.has(attr)) attributes.set(attr, decodeXml(match[2] ?? match[3] ?? ''));
      pos = ATTRIBUTE.lastIndex;
    }
    const rest = /\s*(\/?)>/y;
    rest.lastIndex = pos;
    const close = rest.exec(text);
    if (close === null) throw new XmlScanError(`line ${lineAt(lt)}: cannot read the attributes of <${name}>`);
    at = rest.lastIndex;
    tags.push({ start: lt, end: at, name, attributes, selfClosing: close[1] === '/', line: lineAt(lt) });
  }
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXml(value: string): string {
  return value.replace(/&(#x[0-9A-Fa-f]+|#\d+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    return ENTITIES[ref] ?? whole;
  });
}

/** An attribute value for `"..."`. */
export function encodeXmlAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
