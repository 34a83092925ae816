import type { EventHeaders } from './event.js';
import { type KnownName, NameGuesser, SCANNING_CHECKS_PER_BLOCK } from './known-names.js';

const names = new NameGuesser('"', '"');

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;

/**
 * Parses a `text/event-json` body. Values are strings or arrays of strings; `_body` is the
 * event body and its sibling `Content-Length` is framing, not a header. Throws on invalid JSON.
 */
export function parseJsonEventBody(text: string): { headers: EventHeaders; body: string | undefined } {
  const headers = parseFlatJsonObject(text) ?? parseAnyObject(text);
  let body: string | undefined;
  const rawBody = headers['_body'];
  if (typeof rawBody === 'string') {
    body = rawBody;
    delete headers['_body'];
    delete headers['Content-Length'];
  }
  return { headers, body };
}

/** The general path: JSON.parse, then every value made a string or an array of strings. */
function parseAnyObject(text: string): EventHeaders {
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError('event JSON is not an object');
  }
  const headers = Object.create(null) as EventHeaders;
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.map(String);
    else if (value === null) headers[name] = '';
    else headers[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return headers;
}

/**
 * The fast path for what FreeSWITCH sends: one object, no whitespace, every value a string
 * or an array of strings. Returns what JSON.parse would give for such text, or undefined
 * for anything else (the caller then uses JSON.parse). Lenient in one respect: raw control
 * characters inside strings are accepted.
 */
export function parseFlatJsonObject(text: string): EventHeaders | undefined {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== 123 /* { */) return undefined;
  const out = Object.create(null) as EventHeaders;
  if (text.charCodeAt(1) === 125 /* } */) return n === 2 ? out : undefined;
  const reader = new StringReader(text);
  let previous: KnownName = names.start;
  let scans = SCANNING_CHECKS_PER_BLOCK;
  let i = 1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    let name: string | undefined;
    // The guessed name (never containing '"' or '\') between quotes is exactly that name.
    const guess = previous.next;
    const guessEnd = guess === undefined ? -1 : i + 1 + guess.name.length;
    let hit = false;
    if (
      guess !== undefined &&
      text.charCodeAt(guessEnd) === QUOTE &&
      text.charCodeAt(i + 1) === guess.first &&
      text.charCodeAt(guessEnd - 1) === guess.last
    ) {
      if (scans > 0) {
        hit = text.indexOf(guess.pattern, i) === i;
        if (!hit) scans--;
      } else {
        hit = text.slice(i + 1, guessEnd) === guess.name;
      }
    }
    if (hit && guess !== undefined) {
      name = guess.name;
      previous = guess;
      i = guessEnd + 1;
    } else {
      name = reader.read(i);
      if (name === undefined) return undefined;
      // Only names read without escapes are remembered (they contain no '"' and no '\').
      previous = reader.end - i - 2 === name.length ? names.learn(previous, name) : names.start;
      i = reader.end;
    }
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = readValue(text, reader, i + 1, out, name);
    if (i < 0) return undefined;
    const after = text.charCodeAt(i++);
    if (after === COMMA) continue;
    return after === 125 /* } */ && i === n ? out : undefined;
  }
}

/** Reads the value at `i` into out[name]; returns the offset after it, or -1 when it is not a string or string array. */
function readValue(text: string, reader: StringReader, i: number, out: EventHeaders, name: string): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) {
    const value = reader.read(i);
    if (value === undefined) return -1;
    out[name] = value;
    return reader.end;
  }
  if (first !== 91 /* [ */) return -1;
  const values: string[] = [];
  i++;
  if (text.charCodeAt(i) === 93 /* ] */) {
    out[name] = values;
    return i + 1;
  }
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return -1;
    const value = reader.read(i);
    if (value === undefined) return -1;
    values.push(value);
    i = reader.end;
    const after = text.charCodeAt(i++);
    if (after === 93 /* ] */) break;
    if (after !== COMMA) return -1;
  }
  out[name] = values;
  return i;
}

/** Reads JSON string literals of one text, left to right; `end` is the offset after the last one read. */
class StringReader {
  end = 0;
  /** Offset of the next backslash at or after the last position read (text.length: none). */
  private nextEscape = -1;

  constructor(private readonly text: string) {}

  /** The string literal whose opening quote is at `at`, or undefined when it is not valid. */
  read(at: number): string | undefined {
    const text = this.text;
    const close = text.indexOf('"', at + 1);
    if (close === -1) return undefined;
    if (this.nextEscape <= at) {
      this.nextEscape = text.indexOf('\\', at + 1);
      if (this.nextEscape === -1) this.nextEscape = text.length;
    }
    if (this.nextEscape > close) {
      this.end = close + 1;
      return text.slice(at + 1, close);
    }
    return this.readEscaped(at);
  }

  /** A literal with escapes: jumps from backslash to backslash until the closing quote. */
  private readEscaped(at: number): string | undefined {
    const text = this.text;
    let out = '';
    let from = at + 1;
    let escape = this.nextEscape;
    for (;;) {
      const close = text.indexOf('"', from);
      if (close === -1) return undefined;
      if (escape === -1 || escape > close) {
        this.end = close + 1;
        this.nextEscape = escape === -1 ? text.length : escape;
        return out + text.slice(from, close);
      }
      out += text.slice(from, escape);
      const code = text.charCodeAt(escape + 1);
      if (code === 117 /* u */) {
        const hex = text.slice(escape + 2, escape + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
        out += String.fromCharCode(parseInt(hex, 16));
        from = escape + 6;
      } else {
        const unescaped = SIMPLE_ESCAPES[code];
        if (unescaped === undefined) return undefined;
        out += unescaped;
        from = escape + 2;
      }
      escape = text.indexOf('\\', from);
    }
  }
}

const SIMPLE_ESCAPES: Record<number, string> = {
  [QUOTE]: '"',
  [BACKSLASH]: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
};
