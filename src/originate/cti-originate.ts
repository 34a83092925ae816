/**
 * The seed's `cti_originate` syntax, parsed. Pure: never throws anything but
 * FreectiError BAD_REQUEST.
 *
 *   cti_originate {vars}<dial string> &app(args)              [dialplan context cid_name cid_num timeout]
 *   cti_originate {vars}<dial string> 'app:args,app:args' inline
 *   cti_originate {vars}<dial string> app:args,app:args inline
 *   cti_originate {vars}<dial string> <extension> [XML] [context] ...
 *
 * It is FreeSWITCH's `originate` plus `linegroup/<group>/<number>` dial strings (in
 * the called leg and inside `bridge`): `formatOriginate` writes the same text back
 * (white space between arguments normalised to one space) after the dial strings
 * were replaced.
 */
import { badRequest, blockEnd, splitTokens, splitTopLevel } from './scan.js';

export interface OriginateVar {
  name: string;
  /** The value as written (quotes kept: FreeSWITCH strips them). */
  value: string;
}

export interface InlineApp {
  name: string;
  /** undefined for a bare `app` (no colon). */
  args: string | undefined;
}

export type OriginateTarget =
  | { kind: 'app'; name: string; args: string }
  | { kind: 'inline'; apps: InlineApp[]; quoted: boolean }
  | { kind: 'extension'; extension: string };

export interface CtiOriginate {
  /** The call URL's leading `{...}` block, parsed (empty when none). */
  vars: OriginateVar[];
  /** The raw inside of that block; undefined when the URL has none. */
  varsText: string | undefined;
  /** The call URL after the leading `{...}` block. */
  dialString: string;
  target: OriginateTarget;
  /** Tokens after the target: [dialplan] [context] [cid_name] [cid_num] [timeout] ('inline' included). */
  extra: string[];
}

export const MAX_ORIGINATE_LENGTH = 16_384;
const APP_NAME = /^[A-Za-z0-9_]{1,64}$/;

export function parseCtiOriginate(input: string): CtiOriginate {
  if (input.length > MAX_ORIGINATE_LENGTH) throw badRequest(`longer than ${MAX_ORIGINATE_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(input)) throw badRequest('control characters (CR, LF, NUL...) are not allowed');
  const tokens = splitTokens(input).map((t) => t.text);
  const [url, targetText, ...extra] = tokens;
  if (url === undefined) throw badRequest('empty; expected {vars}<dial string> <&app(args) | \'app:args,...\' inline>');
  if (targetText === undefined) throw badRequest('missing the application: &app(args), \'app:args,...\' inline or an extension');
  if (extra.length > 5) throw badRequest(`too many arguments (${tokens.length}); spaces inside &app(...) or {...} must be in single quotes`);
  const { vars, varsText, dialString } = parseCallUrl(url);
  const target = parseTarget(targetText, extra[0]);
  return { vars, varsText, dialString, target, extra };
}

function parseCallUrl(url: string): Pick<CtiOriginate, 'vars' | 'varsText' | 'dialString'> {
  if (!url.startsWith('{')) {
    if (url.startsWith('}')) throw badRequest("unbalanced '}' in the dial string");
    return { vars: [], varsText: undefined, dialString: url };
  }
  const end = blockEnd(url, 0, '{', '}');
  if (end < 0) throw badRequest("unbalanced '{' in the variables of the dial string");
  const varsText = url.slice(1, end);
  const dialString = url.slice(end + 1);
  if (dialString === '') throw badRequest('missing the dial string after {...}');
  return { vars: parseVars(varsText), varsText, dialString };
}

/** `a=1,b='x,y',c=${v}` → pairs (top-level commas only). */
export function parseVars(text: string): OriginateVar[] {
  if (text.trim() === '') return [];
  return splitTopLevel(text, [',']).map(({ text: item }) => {
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim();
    if (eq < 0 || name === '') throw badRequest(`variable '${item.slice(0, 60)}' is not name=value`);
    return { name, value: item.slice(eq + 1) };
  });
}

function parseTarget(text: string, next: string | undefined): OriginateTarget {
  if (text.startsWith('&')) {
    const match = /^&([A-Za-z0-9_]{1,64})\(([^]*)\)$/.exec(text);
    if (match === null) {
      throw badRequest(`'${text.slice(0, 60)}' is not &app(args); spaces inside (...) must be in single quotes`);
    }
    return { kind: 'app', name: match[1] as string, args: match[2] as string };
  }
  if (next === 'inline') {
    const quoted = text.length >= 2 && text.startsWith("'") && text.endsWith("'");
    const list = quoted ? text.slice(1, -1) : text;
    return { kind: 'inline', apps: parseInlineApps(list), quoted };
  }
  if (text.includes("'") || text.includes('&') || text.includes('(')) {
    throw badRequest(`'${text.slice(0, 60)}' is not an extension; an inline list needs 'inline' after it`);
  }
  return { kind: 'extension', extension: text };
}

/** `app:args,app,app:args` (top-level commas; `{a=1,b=2}` inside args stays whole). */
export function parseInlineApps(list: string): InlineApp[] {
  if (list.trim() === '') throw badRequest('empty inline application list');
  return splitTopLevel(list, [',']).map(({ text: item }) => {
    const colon = item.indexOf(':');
    const name = colon < 0 ? item : item.slice(0, colon);
    if (!APP_NAME.test(name)) throw badRequest(`inline application '${item.slice(0, 60)}' is not app or app:args`);
    return { name, args: colon < 0 ? undefined : item.slice(colon + 1) };
  });
}

/** The `originate` arguments for a parsed command (the exact input when nothing was replaced). */
export function formatOriginate(parsed: CtiOriginate): string {
  const url = parsed.varsText === undefined ? parsed.dialString : `{${parsed.varsText}}${parsed.dialString}`;
  const parts = [url, formatTarget(parsed.target), ...parsed.extra];
  return parts.join(' ');
}

export function formatTarget(target: OriginateTarget): string {
  switch (target.kind) {
    case 'app':
      return `&${target.name}(${target.args})`;
    case 'inline': {
      const list = target.apps.map((a) => (a.args === undefined ? a.name : `${a.name}:${a.args}`)).join(',');
      return target.quoted ? `'${list}'` : list;
    }
    case 'extension':
      return target.extension;
  }
}
