/**
 * Low-level scanning of FreeSWITCH originate text, shared by the cti_originate parser
 * and the dial-string walker. Pure; the text is never changed, only cut.
 *
 * Quoting follows FreeSWITCH's argument splitter: a single quote toggles quoting
 * anywhere in a token, a backslash protects the next character.
 */
import { FreectiError } from '../errors.js';

export interface Token {
  text: string;
  start: number;
}

export function badRequest(message: string): FreectiError {
  return new FreectiError('BAD_REQUEST', `cti_originate: ${message}`);
}

/**
 * Splits at white space outside single quotes, exactly as FreeSWITCH splits the
 * originate arguments (braces and parentheses do not protect spaces there).
 */
export function splitTokens(text: string): Token[] {
  const tokens: Token[] = [];
  let start = -1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (start < 0) {
      if (/\s/.test(ch)) continue;
      start = i;
    }
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === "'") quoted = !quoted;
    else if (!quoted && /\s/.test(ch)) {
      tokens.push({ text: text.slice(start, i), start });
      start = -1;
    }
  }
  if (quoted) throw badRequest('unterminated single quote');
  if (start >= 0) tokens.push({ text: text.slice(start), start });
  return tokens;
}

/** Index of the bracket that closes the block opening at `from` (quote-aware), or -1. */
export function blockEnd(text: string, from: number, open: string, close: string): number {
  let depth = 0;
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
    } else if (ch === "'") {
      quoted = !quoted;
    } else if (!quoted && ch === open) {
      depth++;
    } else if (!quoted && ch === close && --depth === 0) {
      return i;
    }
  }
  return -1;
}

/**
 * Splits at `separators` that are at nesting depth 0 (outside quotes, `{}`, `[]`,
 * `<>` and `()`); returns each part with its offset in `text`.
 */
export function splitTopLevel(text: string, separators: readonly string[]): Token[] {
  const parts: Token[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if ('{[<('.includes(ch)) depth++;
    else if ('}]>)'.includes(ch)) depth = Math.max(0, depth - 1);
    else if (depth === 0) {
      const sep = separators.find((s) => text.startsWith(s, i));
      if (sep !== undefined) {
        parts.push({ text: text.slice(start, i), start });
        i += sep.length - 1;
        start = i + 1;
      }
    }
  }
  parts.push({ text: text.slice(start), start });
  return parts;
}

/** Length of the leading `{...}`, `[...]` and `<...>` variable blocks of one dial string. */
export function leadingBlocksLength(dial: string): number {
  let at = 0;
  for (;;) {
    const open = dial[at];
    const close = open === '{' ? '}' : open === '[' ? ']' : open === '<' ? '>' : undefined;
    if (open === undefined || close === undefined) return at;
    const end = blockEnd(dial, at, open, close);
    if (end < 0) throw badRequest(`unbalanced '${open}' in dial string '${dial.slice(0, 80)}'`);
    at = end + 1;
  }
}
