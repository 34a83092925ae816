/**
 * `originate` arguments (and mod_cti's `cti_originate`, the same text plus
 * `linegroup/` legs), parsed as mod_commands reads them. Pure; throws FsSyntaxError.
 *
 *   <call url> &<app>(<args>)              [<dialplan> [<context> [<cid name> [<cid num> [<timeout>]]]]]
 *   <call url> '<app>:<args>,<app>' inline [<context> ...]
 *   <call url> <extension>                 [<dialplan> [<context> ...]]
 *
 * Words split at white space outside single quotes and are then cleaned as
 * mod_commands cleans them (every quote dropped, scan.ts cleanWord): the parsed call
 * URL and target are what FreeSWITCH reads; `url` and `targetText` keep what was
 * written, for translate.ts to write back. `&app(args)` ends at the first `)`
 * (mod_commands cuts there), so text after it is refused. An inline list is split at
 * `,` outside quotes (brackets do not protect a comma there, for FreeSWITCH either).
 */
import { parseDialString, type DialString } from './dial-string.js';
import { assertNoControl, cleanWord, FsSyntaxError, splitQuoted, splitWords, unquote } from './scan.js';

export interface InlineApp {
  name: string;
  /** undefined for a bare `app` (no colon). */
  args: string | undefined;
}

export type OriginateTarget =
  | { kind: 'app'; name: string; args: string; parens: boolean }
  | { kind: 'inline'; apps: InlineApp[]; quoted: boolean }
  | { kind: 'extension'; extension: string };

export interface Originate {
  /** The call URL as written. */
  url: string;
  /** The call URL as FreeSWITCH reads it (the word cleaned), parsed. */
  call: DialString;
  /** The target as FreeSWITCH reads it (the word cleaned: quotes dropped). */
  target: OriginateTarget;
  /** The target word as written. */
  targetText: string;
  /** Words after the target, cleaned: [dialplan] [context] [cid_name] [cid_num] [timeout] ('inline' included). */
  extra: string[];
}

export const MAX_ORIGINATE_LENGTH = 16_384;
export const APP_NAME = /^[A-Za-z0-9_]{1,64}$/;
const EXTENSION = /^[A-Za-z0-9_.+*#-]{1,64}$/;

export function parseOriginate(input: string): Originate {
  if (input.length > MAX_ORIGINATE_LENGTH) throw new FsSyntaxError(`longer than ${MAX_ORIGINATE_LENGTH} characters`);
  assertNoControl(input, 'originate');
  // mod_commands splits at spaces outside quotes and cleans every word (quotes dropped).
  const words = splitWords(input).map((w) => w.text);
  const [url, targetText, ...rest] = words;
  if (url === undefined) throw new FsSyntaxError('empty; expected <dial string> <&app(args) | \'app:args,...\' inline | extension>');
  if (targetText === undefined) throw new FsSyntaxError('missing the application: &app(args), \'app:args,...\' inline or an extension');
  if (rest.length > 5) throw new FsSyntaxError(`too many arguments (${words.length}); spaces inside &app(...) or {...} must be in single quotes`);
  const extra = rest.map((w) => cleanWord(w));
  return { url, call: parseDialString(cleanWord(url)), target: parseTarget(cleanWord(targetText), extra[0]), targetText, extra };
}

/** The target of an originate (`&app(args)`, an inline list with `next` = 'inline', an extension). */
export function parseTarget(text: string, next: string | undefined): OriginateTarget {
  if (text.startsWith('&')) {
    const match = /^&([A-Za-z0-9_]{1,64})(?:\(([^)]*)\))?$/.exec(text);
    if (match === null) throw new FsSyntaxError(`'${text.slice(0, 60)}' is not &app or &app(args) (args end at the first ')'; spaces must be in single quotes)`);
    return { kind: 'app', name: match[1] as string, args: match[2] ?? '', parens: match[2] !== undefined };
  }
  if (next === 'inline') {
    const quoted = text.length >= 2 && text.startsWith("'") && text.endsWith("'");
    return { kind: 'inline', apps: parseInlineApps(unquote(text)), quoted };
  }
  if (!EXTENSION.test(text)) throw new FsSyntaxError(`'${text.slice(0, 60)}' is not an extension; an inline list needs 'inline' after it`);
  return { kind: 'extension', extension: text };
}

/** `app:args,app,app:args`, as the inline dialplan splits and cleans it. */
export function parseInlineApps(list: string): InlineApp[] {
  if (list.trim() === '') throw new FsSyntaxError('empty inline application list');
  return splitQuoted(list, ',').map(({ text }) => {
    const item = cleanWord(text, ',');
    const colon = item.indexOf(':');
    const name = colon < 0 ? item : item.slice(0, colon);
    if (!APP_NAME.test(name)) throw new FsSyntaxError(`inline application '${item.slice(0, 60)}' is not app or app:args`);
    return { name, args: colon < 0 ? undefined : item.slice(colon + 1) };
  });
}

/** A target as text (translate.ts writes back a target whose bridge legs it replaced). */
export function formatTarget(target: OriginateTarget): string {
  switch (target.kind) {
    case 'app':
      return target.parens ? `&${target.name}(${target.args})` : `&${target.name}`;
    case 'inline': {
      const list = target.apps.map((a) => (a.args === undefined ? a.name : `${a.name}:${a.args}`)).join(',');
      return target.quoted ? `'${list}'` : list;
    }
    case 'extension':
      return target.extension;
  }
}
