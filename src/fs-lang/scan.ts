/**
 * The low-level cuts every FreeSWITCH grammar here is built from. Pure; the text is
 * never changed, only cut.
 *
 * - Blocks (`{..}` `[..]` `<..>` `(..)`) end where FreeSWITCH's switch_find_end_paren
 *   ends them: by counting that bracket kind only, with no regard for quotes or
 *   backslashes. Reading them any other way would let a quoted `}` end a block for
 *   FreeSWITCH that we think goes on.
 * - Words (api arguments, originate arguments) split at white space outside single
 *   quotes; a backslash protects the next character (switch_separate_string).
 */

export class FsSyntaxError extends Error {
  override readonly name = 'FsSyntaxError';
}

export interface Part {
  text: string;
  start: number;
}

const CLOSE: Readonly<Record<string, string>> = { '{': '}', '[': ']', '<': '>', '(': ')' };

/** Index of the bracket closing the one at `open`, or -1. */
export function blockEnd(text: string, open: number): number {
  const o = text[open] as string;
  const c = CLOSE[o];
  if (c === undefined) return -1;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === o) depth++;
    else if (text[i] === c && --depth === 0) return i;
  }
  return -1;
}

/** Splits at white space outside single quotes (backslash protects the next character). */
export function splitWords(text: string): Part[] {
  const words: Part[] = [];
  let start = -1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (start < 0) {
      if (isSpace(ch)) continue;
      start = i;
    }
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === "'") quoted = !quoted;
    else if (!quoted && isSpace(ch)) {
      words.push({ text: text.slice(start, i), start });
      start = -1;
    }
  }
  if (quoted) throw new FsSyntaxError('unterminated single quote');
  if (start >= 0) words.push({ text: text.slice(start), start });
  return words;
}

/**
 * The words an application's own `switch_separate_string(data, ' ', argv, max)` hands it
 * (separate_string_blank_delim): split at spaces only (a tab is part of a word) outside
 * single quotes, a backslash protecting the next character; the `max`-th word is the rest
 * of the data, not split; each word cleaned (cleanWord). A leading `^^<c>` would make
 * FreeSWITCH split at `<c>` instead, and an open quote reads differently there: refused.
 */
export function separateWords(text: string, max = Number.POSITIVE_INFINITY): string[] {
  if (text.startsWith('^^')) throw new FsSyntaxError("a leading '^^' makes FreeSWITCH split these words at another character");
  const raw: string[] = [];
  let start = -1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (start < 0) {
      if (ch === ' ') continue;
      if (raw.length === max - 1) {
        raw.push(text.slice(i)); // the last word: the rest of the data
        break;
      }
      start = i;
    }
    if (ch === '\\') i++;
    else if (ch === "'") quoted = !quoted;
    else if (ch === ' ' && !quoted) {
      raw.push(text.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) raw.push(text.slice(start));
  if (!quotesClosed(text)) throw new FsSyntaxError('unterminated single quote');
  return raw.map((w) => cleanWord(w));
}

function quotesClosed(text: string): boolean {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === "'") quoted = !quoted;
  }
  return !quoted;
}

/** The first word and the rest (trimmed), as FreeSWITCH cuts `cmd args`. */
export function firstWord(text: string): [string, string] {
  const trimmed = text.trimStart();
  const space = trimmed.search(/\s/);
  if (space < 0) return [trimmed, ''];
  return [trimmed.slice(0, space), trimmed.slice(space + 1).trim()];
}

/** Removes one pair of surrounding single quotes. */
export function unquote(text: string): string {
  return text.length >= 2 && text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1) : text;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t';
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Throws unless the text is free of line breaks and control characters (tab allowed). */
export function assertNoControl(text: string, what: string): void {
  if (CONTROL.test(text)) throw new FsSyntaxError(`${what} holds a line break or control character`);
}

/**
 * Splits at `sep` outside single quotes, as FreeSWITCH's switch_separate_string does:
 * brackets do NOT protect a separator (`{a=${f(x,y)}}` splits inside the expansion,
 * for FreeSWITCH and therefore for us). A backslash protects the next character.
 */
export function splitQuoted(text: string, sep: string): Part[] {
  const parts: Part[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\') i++;
    else if (ch === "'") quoted = !quoted;
    else if (!quoted && text.startsWith(sep, i)) {
      parts.push({ text: text.slice(start, i), start });
      i += sep.length - 1;
      start = i + 1;
    }
  }
  if (quoted) throw new FsSyntaxError('unterminated single quote');
  parts.push({ text: text.slice(start), start });
  return parts;
}

const UNESCAPE: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', s: ' ' };

/**
 * One piece as FreeSWITCH hands it on after splitting (cleanup_separated_string): single
 * quotes dropped wherever they are, `\'` `\"` `\\` `\<sep>` `\n` `\r` `\t` `\s` unescaped,
 * other backslashes kept, leading spaces and trailing unquoted spaces trimmed.
 * `sys'tem::'ls` is `system::ls`.
 */
export function cleanWord(text: string, sep = ''): string {
  let out = '';
  let end = 0;
  let quoted = false;
  let i = 0;
  while (text[i] === ' ') i++;
  for (; i < text.length; i++) {
    const ch = text[i] as string;
    const next = text[i + 1];
    if (ch === '\\' && next !== undefined && (next === "'" || next === '"' || next === '\\' || (sep !== '' && next === sep) || UNESCAPE[next] !== undefined)) {
      out += UNESCAPE[next] ?? next;
      end = out.length;
      i++;
    } else if (ch === "'") {
      quoted = !quoted;
      if (quoted) end = out.length;
    } else {
      out += ch;
      if (ch !== ' ' || quoted) end = out.length;
    }
  }
  return out.slice(0, end);
}
