/** Request building helpers: URL with extra query, form/JSON bodies, metric target. */

/** `application/x-www-form-urlencoded` with `%20` for spaces (what mod_xml_curl sends too). */
export function encodeForm(fields: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [name, value] of Object.entries(fields)) {
    if (out !== '') out += '&';
    out += `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  }
  return out;
}

/** `url` parsed, or undefined. */
export function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** The request URL from a parsed one (changed in place): http(s) without credentials, `query` appended, no hash; undefined when not usable. */
export function withQuery(parsed: URL | undefined, query: Readonly<Record<string, string>> | undefined): URL | undefined {
  if (parsed === undefined) return undefined;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  if (query !== undefined && Object.keys(query).length > 0) {
    const extra = encodeForm(query);
    parsed.search = parsed.search === '' || parsed.search === '?' ? `?${extra}` : `${parsed.search}&${extra}`;
  }
  parsed.hash = '';
  return parsed;
}

/** Metrics/log label: origin + path, never the query or credentials. */
export function targetOf(url: string): string {
  return targetOfUrl(parseUrl(url));
}

/** targetOf for an already parsed URL (undefined: not a URL). */
export function targetOfUrl(parsed: URL | undefined): string {
  return parsed === undefined ? 'invalid-url' : `${parsed.origin}${parsed.pathname}`;
}
