/**
 * The `/cli` query string, decoded the way the seed promises: "any url-encoding style".
 *
 * - `+` is a space (HTML form style) and `%20` is a space; `%2B` is a literal `+`;
 * - `%XX` sequences are decoded as UTF-8 bytes; a `%` that does not start a valid
 *   escape (`${strftime(%Y-%m-%d)}` typed raw) stays a literal `%`;
 * - raw non-ASCII characters are kept (Node's own HTTP parser refuses them in the
 *   request line, but other front ends may pass them on);
 * - a raw `&` that does not start one of the known parameters is part of the value
 *   before it, so `arg=originate user/1000 &echo` typed raw still reaches FreeSWITCH
 *   as `originate user/1000 &echo`.
 * Pure: no request object, no exceptions.
 */
export const CLI_PARAMS = ['key', 'cmd', 'arg', 'node'] as const;
export type CliParam = (typeof CLI_PARAMS)[number];

export type CliQuery = Partial<Record<CliParam, string>>;

const HEX = /^[0-9A-Fa-f]{2}$/;

/** Decodes one form-encoded component. Never throws. */
export function decodeComponent(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x2b) {
      bytes.push(0x20);
    } else if (ch === 0x25 && HEX.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) {
      bytes.push(ch);
    } else {
      // A raw non-ASCII character: keep it as its UTF-8 bytes (surrogate pairs included).
      const cp = text.codePointAt(i) ?? ch;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Node's HTTP parser hands raw non-ASCII request-line bytes over as latin1 characters;
 * turn those back into the UTF-8 text the client sent.
 */
export function latin1ToUtf8(url: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(url) || /[^\x00-\xff]/.test(url)) return url;
  const decoded = Buffer.from(url, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? url : decoded;
}

function isParam(name: string): name is CliParam {
  return (CLI_PARAMS as readonly string[]).includes(name);
}

/** Parses the query part of a request URL (everything after the first `?`). */
export function parseCliQuery(rawUrl: string): CliQuery {
  const url = latin1ToUtf8(rawUrl);
  const start = url.indexOf('?');
  if (start < 0) return {};
  const query = url.slice(start + 1).split('#')[0] ?? '';
  const raw: Partial<Record<CliParam, string>> = {};
  let last: CliParam | undefined;
  for (const segment of query.split('&')) {
    const eq = segment.indexOf('=');
    const name = decodeComponent(eq < 0 ? segment : segment.slice(0, eq));
    if (isParam(name) && eq >= 0 && raw[name] === undefined) {
      raw[name] = segment.slice(eq + 1);
      last = name;
    } else if (last !== undefined) {
      // A raw '&' inside the previous value (or a repeated parameter): glue it back.
      raw[last] = `${raw[last] ?? ''}&${segment}`;
    }
  }
  const out: CliQuery = {};
  for (const name of CLI_PARAMS) {
    const value = raw[name];
    if (value !== undefined) out[name] = decodeComponent(value);
  }
  return out;
}
