/**
 * One mod_xml_curl request: the form fields FreeSWITCH POSTs
 * (`application/x-www-form-urlencoded`, see test/fixtures/freeswitch/xml-curl/*.http).
 * Spaces arrive as `%20`, `+` as `%2B`; a standard form decoder reads them.
 * A field given twice keeps its first value (URLSearchParams.get).
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

/** Names made of these characters are never percent-encoded, so they can be found by a plain scan. */
const PLAIN_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Parses the form lazily: a directory lookup reads 5 of ~45 fields, and decoding all of
 * them (URLSearchParams) was the largest single cost in the profile. A plain name is
 * found by scanning for `name=` at a field start and only that value is decoded, with
 * the form rules (`+` is a space, `%XX` UTF-8; a malformed escape is decoded exactly as
 * URLSearchParams does). Other names, and `fields`, go through URLSearchParams.
 */
export function parseXmlCurlForm(body: string): XmlCurlRequest {
  let params: URLSearchParams | undefined;
  const all = (): URLSearchParams => (params ??= new URLSearchParams(body));
  // A dialplan lookup asks for some names twice (the route match, then the URL template).
  const seen = new Map<string, string | undefined>();
  const get = (name: string): string | undefined => {
    if (seen.has(name)) return seen.get(name);
    const value = PLAIN_NAME.test(name) ? scan(body, name) : (all().get(name) ?? undefined);
    seen.set(name, value);
    return value;
  };
  return {
    section: get('section') ?? '',
    get fields(): ReadonlyMap<string, string> {
      const map = new Map<string, string>();
      for (const [name, value] of all()) if (!map.has(name)) map.set(name, value);
      return map;
    },
    get,
  };
}

/** The first value of `name` in the form, decoded; undefined when absent. */
function scan(body: string, name: string): string | undefined {
  let at = body.indexOf(name);
  while (at !== -1) {
    const end = at + name.length;
    if (at === 0 || body.charCodeAt(at - 1) === 0x26 /* & */) {
      if (end === body.length || body.charCodeAt(end) === 0x26) return '';
      if (body.charCodeAt(end) === 0x3d /* = */) {
        let stop = body.indexOf('&', end + 1);
        if (stop === -1) stop = body.length;
        return decodeValue(body.slice(end + 1, stop));
      }
    }
    at = body.indexOf(name, at + 1);
  }
  return undefined;
}

function decodeValue(raw: string): string {
  if (raw.indexOf('%') === -1) return raw.indexOf('+') === -1 ? raw : raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return new URLSearchParams(`v=${raw}`).get('v') ?? '';
  }
}
