/**
 * Which URLs a `cti_bridge` may ask (config `bridge.allowedUrls`, docs/bridge.md).
 *
 * The URL comes from a channel variable, i.e. from whoever can shape the call (a dialplan,
 * a routing reply, or a forged `connect` reply on the outbound socket), so freecti only
 * POSTs to URLs under one of the configured prefixes. Both sides are compared as PARSED
 * URLs (WHATWG URL, the same parser the webhook client uses), never as strings:
 *
 * - scheme: exactly the prefix's (`http` does not allow `https`, nor the reverse);
 * - host: exactly the prefix's host name after parsing (`127.0.0.1.evil.com`,
 *   `127.0.0.1@evil.com` and `localhost.` are other hosts);
 * - port: a prefix written WITH a port allows that port only (`http://h:80` = port 80);
 *   a prefix written WITHOUT a port allows every port of that host;
 * - path: the URL's path starts with the prefix's path at a segment boundary (`/app`
 *   allows `/app` and `/app/x`, not `/apps`; `/app/` allows `/app/x` only); `..` segments
 *   are resolved by the parser first, and a path with an encoded `/` or `\` (`%2F`,
 *   `%5C`) is refused under a prefix that has a path;
 * - a URL with user info (`user:pass@`) is refused, and only `http:` / `https:` exist.
 *
 * A prefix must be an http(s) URL without user info, query or fragment.
 */

/** The defaults: the loopback origins, any port, any path. */
export const DEFAULT_ALLOWED_URLS: readonly string[] = ['http://127.0.0.1', 'http://localhost', 'http://[::1]'];

export interface UrlPrefix {
  readonly text: string;
  readonly protocol: string;
  readonly hostname: string;
  /** The effective port (default port of the scheme when written as such); undefined = any port. */
  readonly port: number | undefined;
  /** `/` = any path. */
  readonly path: string;
}

export type UrlVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Why `text` is not a valid prefix, or undefined when it is one (used by the config schema). */
export function urlPrefixProblem(text: string): string | undefined {
  try {
    parseUrlPrefix(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function parseUrlPrefix(text: string): UrlPrefix {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`'${text}' is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`'${text}' must be an http: or https: URL`);
  if (url.username !== '' || url.password !== '') throw new Error(`'${text}' must not carry user info`);
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(text)) throw new Error(`'${text}' must not carry a query or a fragment`);
  if (url.hostname === '') throw new Error(`'${text}' has no host`);
  // The parser drops a default port (`:80` on http), so "written with a port" is read from the text.
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*([^/\\?#]*)/.exec(text.trim())?.[1] ?? '';
  const written = /:\d+$/.test(authority);
  return { text, protocol: url.protocol, hostname: url.hostname, port: written ? effectivePort(url) : undefined, path: url.pathname };
}

export class AllowedUrls {
  readonly prefixes: readonly UrlPrefix[];

  /** Throws on a prefix that is not valid (the config schema checked them already). */
  constructor(prefixes: readonly string[] = DEFAULT_ALLOWED_URLS) {
    this.prefixes = prefixes.map(parseUrlPrefix);
  }

  check(text: string): UrlVerdict {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { allowed: false, reason: 'not an absolute URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { allowed: false, reason: `scheme ${url.protocol} is not http: or https:` };
    if (url.username !== '' || url.password !== '') return { allowed: false, reason: 'the URL carries user info' };
    const port = effectivePort(url);
    const sameOrigin = this.prefixes.filter((p) => p.protocol === url.protocol && p.hostname === url.hostname && (p.port === undefined || p.port === port));
    if (sameOrigin.length === 0) return { allowed: false, reason: `${url.protocol}//${url.hostname}:${port} matches no prefix of bridge.allowedUrls` };
    if (sameOrigin.some((p) => pathUnder(url.pathname, p.path))) return { allowed: true };
    return { allowed: false, reason: `path ${url.pathname} is under no prefix of bridge.allowedUrls for this host` };
  }
}

/** The URL for a log line: scheme, host, port and path; user info, query and fragment left out. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}${url.search === '' ? '' : '?[redacted]'}`;
  } catch {
    return `${text.replace(/[?#].*$/s, '').replace(/\/\/[^/]*@/, '//[redacted]@').slice(0, 200)}`;
  }
}

function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

function pathUnder(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (/%2f|%5c/i.test(path)) return false;
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}
