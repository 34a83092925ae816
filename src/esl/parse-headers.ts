import type { EventHeaders } from './event.js';
import { urlDecodeRange } from './url-decode.js';

/**
 * Header names seen before. FreeSWITCH sends the same names in much the same order event
 * after event, so for each name we remember the name that followed it last time and check
 * the next line against that guess before slicing a new string. Reusing one string per name
 * saves the slice and, above all, V8's interning of a fresh property key, which is the
 * largest single cost of building a header object. Purely an optimisation: a wrong guess
 * is detected and the name is read from the text as usual.
 */
class NameGuesser {
  private readonly following = new Map<string, string>();

  constructor(private readonly limit: number) {}

  /** The name that followed `previous` last time ('' = the first name of a block). */
  next(previous: string): string | undefined {
    return this.following.get(previous);
  }

  learn(previous: string, name: string): void {
    // Bounded: header names are a small vocabulary, but the input is not trusted.
    if (this.following.size >= this.limit) this.following.clear();
    this.following.set(previous, name);
  }
}

const plainNames = new NameGuesser(4096);
const jsonNames = new NameGuesser(4096);

const COLON = 58;
const QUOTE = 34;

/**
 * Parses `Name: value` lines of text[start, end) (no trailing blank line) into `into`.
 * Lines without a colon are skipped. With `decode`, values are percent-decoded and
 * `ARRAY::a|:b` values become arrays (plain-event semantics). Returns `into`.
 */
export function parseHeaderLines(
  text: string,
  start: number,
  end: number,
  decode: boolean,
  into: Record<string, string | string[]>,
): Record<string, string | string[]> {
  let previous = '';
  // Cursors: the next ':' / '%' at or after the current line, so no byte is searched twice
  // (lines without a colon, or long runs without '%', cannot make this quadratic).
  let nextColon = -1;
  let nextPercent = decode ? -1 : end;
  let i = start;
  while (i < end) {
    let lineEnd = text.indexOf('\n', i);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    if (lineEnd > i) {
      let name = plainNames.next(previous);
      let colon = name === undefined ? -1 : i + name.length;
      if (name === undefined || colon >= lineEnd || text.charCodeAt(colon) !== COLON || !text.startsWith(name, i)) {
        if (nextColon < i) {
          nextColon = text.indexOf(':', i);
          if (nextColon === -1 || nextColon > end) nextColon = end;
        }
        colon = nextColon;
        if (colon >= lineEnd) {
          i = lineEnd + 1;
          continue;
        }
        name = text.slice(i, colon);
        plainNames.learn(previous, name);
      }
      previous = name;
      const valueStart = colon + 1 < lineEnd && text.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
      if (!decode) {
        into[name] = text.slice(valueStart, lineEnd);
      } else {
        if (nextPercent < valueStart) {
          nextPercent = text.indexOf('%', valueStart);
          if (nextPercent === -1 || nextPercent > end) nextPercent = end;
        }
        const value =
          nextPercent < lineEnd
            ? urlDecodeRange(text, valueStart, lineEnd, nextPercent)
            : text.slice(valueStart, lineEnd);
        into[name] = value.startsWith('ARRAY::') ? value.slice(7).split('|:') : value;
      }
    }
    i = lineEnd + 1;
  }
  return into;
}

function decodeValue(raw: string): string | string[] {
  const percent = raw.indexOf('%');
  const value = percent === -1 ? raw : urlDecodeRange(raw, 0, raw.length, percent);
  if (value.startsWith('ARRAY::')) return value.slice(7).split('|:');
  return value;
}

/** Top-level frame headers: never decoded. */
export function parseFrameHeaders(text: string): Record<string, string> {
  return parseHeaderLines(text, 0, text.length, false, Object.create(null) as Record<string, string>) as Record<
    string,
    string
  >;
}

/** Decodes every value of a top-level header block (used for the outbound `connect` reply). */
export function decodeFrameHeaders(headers: Record<string, string>): EventHeaders {
  const out: EventHeaders = Object.create(null) as EventHeaders;
  for (const name of Object.keys(headers)) out[name] = decodeValue(headers[name] ?? '');
  return out;
}

/**
 * Parses a `text/event-plain` body: url-encoded header lines, a blank line, and when the
 * last header is `Content-Length` the event body after it.
 */
export function parsePlainEventBody(text: string): { headers: EventHeaders; body: string | undefined } {
  const blank = text.indexOf('\n\n');
  const headerEnd = blank === -1 ? text.length : blank;
  const headers = parseHeaderLines(text, 0, headerEnd, true, Object.create(null) as EventHeaders);
  let body: string | undefined;
  if (headers['Content-Length'] !== undefined) {
    delete headers['Content-Length'];
    body = blank === -1 ? '' : text.slice(blank + 2);
  }
  return { headers, body };
}

/**
 * Parses a `text/event-json` body. Values are strings or arrays of strings; `_body` is the
 * event body and its sibling `Content-Length` is framing, not a header. Throws on invalid JSON.
 */
export function parseJsonEventBody(text: string): { headers: EventHeaders; body: string | undefined } {
  const headers = parseFlatJsonObject(text) ?? parseAnyJsonObject(text);
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
function parseAnyJsonObject(text: string): EventHeaders {
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
 * or an array of strings. Returns exactly what JSON.parse would give for such text, or
 * undefined for anything else (the caller then uses JSON.parse). Lenient in one respect:
 * raw control characters inside strings are accepted.
 */
function parseFlatJsonObject(text: string): EventHeaders | undefined {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== 123 /* { */) return undefined;
  const out = Object.create(null) as EventHeaders;
  if (text.charCodeAt(1) === 125 /* } */) return n === 2 ? out : undefined;
  const reader = new JsonStringReader(text);
  let previous = '';
  let i = 1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    let name = jsonNames.next(previous);
    if (name !== undefined && text.charCodeAt(i + 1 + name.length) === QUOTE && text.startsWith(name, i + 1)) {
      i += name.length + 2;
    } else {
      name = reader.read(i);
      if (name === undefined) return undefined;
      // Only names read without escapes are remembered: such a name, found raw and followed
      // by a quote, is exactly that name (it contains neither '"' nor '\').
      if (reader.end - i - 2 === name.length) jsonNames.learn(previous, name);
      i = reader.end;
    }
    previous = name;
    if (text.charCodeAt(i) !== COLON) return undefined;
    i++;
    const first = text.charCodeAt(i);
    if (first === QUOTE) {
      const value = reader.read(i);
      if (value === undefined) return undefined;
      out[name] = value;
      i = reader.end;
    } else if (first === 91 /* [ */) {
      const values: string[] = [];
      i++;
      if (text.charCodeAt(i) === 93 /* ] */) {
        i++;
      } else {
        for (;;) {
          if (text.charCodeAt(i) !== QUOTE) return undefined;
          const value = reader.read(i);
          if (value === undefined) return undefined;
          values.push(value);
          i = reader.end;
          const after = text.charCodeAt(i++);
          if (after === 93 /* ] */) break;
          if (after !== 44 /* , */) return undefined;
        }
      }
      out[name] = values;
    } else {
      return undefined;
    }
    const after = text.charCodeAt(i++);
    if (after === 44 /* , */) continue;
    return after === 125 /* } */ && i === n ? out : undefined;
  }
}

/** Reads JSON string literals of one text; `end` is the offset after the last one read. */
class JsonStringReader {
  end = 0;
  /** Offset of the next backslash at or after the current position (text.length: none). */
  private nextEscape = -1;

  constructor(private readonly text: string) {}

  /** The string literal starting with the quote at `at`, or undefined when it is not valid. */
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

  private readEscaped(at: number): string | undefined {
    const text = this.text;
    let out = '';
    let from = at + 1;
    for (let i = from; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === QUOTE) {
        this.end = i + 1;
        this.nextEscape = -1;
        return out + text.slice(from, i);
      }
      if (code !== 92 /* \ */) continue;
      out += text.slice(from, i);
      const escape = text.charCodeAt(i + 1);
      let length = 2;
      switch (escape) {
        case QUOTE:
          out += '"';
          break;
        case 92:
          out += '\\';
          break;
        case 47:
          out += '/';
          break;
        case 98:
          out += '\b';
          break;
        case 102:
          out += '\f';
          break;
        case 110:
          out += '\n';
          break;
        case 114:
          out += '\r';
          break;
        case 116:
          out += '\t';
          break;
        case 117: {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
          out += String.fromCharCode(parseInt(hex, 16));
          length = 6;
          break;
        }
        default:
          return undefined;
      }
      i += length - 1;
      from = i + 1;
    }
    return undefined;
  }
}
