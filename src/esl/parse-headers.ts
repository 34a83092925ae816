import type { EventHeaders } from './event.js';
import { urlDecode } from './url-decode.js';

/**
 * Parses `Name: value` lines of one header block (no trailing blank line) into `into`.
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
  let i = start;
  while (i < end) {
    let lineEnd = text.indexOf('\n', i);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    if (lineEnd > i) {
      const colon = text.indexOf(':', i);
      if (colon !== -1 && colon < lineEnd) {
        const name = text.slice(i, colon);
        const valueStart = text.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
        const raw = valueStart < lineEnd ? text.slice(valueStart, lineEnd) : '';
        into[name] = decode ? decodeValue(raw) : raw;
      }
    }
    i = lineEnd + 1;
  }
  return into;
}

function decodeValue(raw: string): string | string[] {
  const value = urlDecode(raw);
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
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError('event JSON is not an object');
  }
  const headers = parsed as Record<string, unknown>;
  let body: string | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') continue;
    if (Array.isArray(value)) headers[name] = value.map(String);
    else headers[name] = value === null ? '' : String(value);
  }
  if (typeof headers['_body'] === 'string') {
    body = headers['_body'];
    delete headers['_body'];
    delete headers['Content-Length'];
  }
  return { headers: headers as EventHeaders, body };
}
