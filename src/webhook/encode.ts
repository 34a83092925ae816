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

/** Parses an absolute http(s) URL and appends `query`; undefined when not usable. */
export function buildUrl(url: string, query: Readonly<Record<string, string>> | undefined): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
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
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'invalid-url';
  }
}
