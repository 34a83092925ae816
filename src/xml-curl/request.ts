/**
 * One mod_xml_curl request: the form fields FreeSWITCH POSTs
 * (`application/x-www-form-urlencoded`, see test/fixtures/freeswitch/xml-curl/*.http).
 * Spaces arrive as `%20`, `+` as `%2B`; a standard form decoder reads them.
 * A field given twice keeps its first value.
 */
export interface XmlCurlRequest {
  /** `section`: directory, dialplan, configuration, phrases, ... */
  readonly section: string;
  /** Every field, first value wins. */
  readonly fields: ReadonlyMap<string, string>;
  /** A field's value, or undefined. */
  get(name: string): string | undefined;
}

/** Bodies larger than this are not from mod_xml_curl (the dialplan body is ~6 KB). */
export const MAX_FORM_BYTES = 256 * 1024;

/**
 * Splits the form once and decodes a value only when it is asked for (a directory
 * lookup reads 5 of ~45 fields; URLSearchParams would decode them all). Decoding is
 * the form rules: `+` is a space, `%XX` a byte of UTF-8; a malformed escape keeps the
 * raw text instead of throwing.
 */
export function parseXmlCurlForm(body: string): XmlCurlRequest {
  const raw = new Map<string, string>();
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('&', start);
    if (end === -1) end = body.length;
    if (end > start) {
      const eq = body.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const name = decode(body.slice(start, hasValue ? eq : end));
      if (!raw.has(name)) raw.set(name, hasValue ? body.slice(eq + 1, end) : '');
    }
    start = end + 1;
  }
  const decoded = new Map<string, string>();
  const get = (name: string): string | undefined => {
    const cached = decoded.get(name);
    if (cached !== undefined) return cached;
    const value = raw.get(name);
    if (value === undefined) return undefined;
    const text = decode(value);
    decoded.set(name, text);
    return text;
  };
  return {
    section: get('section') ?? '',
    get fields(): ReadonlyMap<string, string> {
      const all = new Map<string, string>();
      for (const name of raw.keys()) all.set(name, get(name) ?? '');
      return all;
    },
    get,
  };
}

function decode(text: string): string {
  if (text.indexOf('%') === -1 && text.indexOf('+') === -1) return text;
  const spaced = text.indexOf('+') === -1 ? text : text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
