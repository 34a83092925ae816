import type { EventHeaders } from './event.js';
import { type KnownName, NameGuesser, SCANNING_CHECKS_PER_BLOCK } from './known-names.js';
import { UrlDecodeCache, ownCopy, urlDecode } from './url-decode.js';

/** Event headers and top-level frame headers follow different sequences: one guesser each. */
const eventNames = new NameGuesser('', ':');
const frameNames = new NameGuesser('', ':', 256);
const decodedValues = new UrlDecodeCache();

const LF = '\n';
const COLON = 58;
const SPACE = 32;

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
  readHeaderBlock(text, start, end, decode, false, decode ? eventNames : frameNames, into);
  return into;
}

/**
 * The header loop. With `stopAtBlankLine` it ends at the first empty line after `start`
 * (the first '\n\n') and returns the offset after it; otherwise it returns `end`.
 */
function readHeaderBlock(
  text: string,
  start: number,
  end: number,
  decode: boolean,
  stopAtBlankLine: boolean,
  names: NameGuesser,
  into: Record<string, string | string[]>,
): number {
  let previous: KnownName = names.start;
  // Cursors: the next ':' / '%' at or after the current line, so no character is searched
  // twice (lines without a colon, or long runs without '%', cannot make this quadratic).
  let nextColon = -1;
  let nextPercent = decode ? -1 : end;
  let scans = SCANNING_CHECKS_PER_BLOCK;
  let i = start;
  while (i < end) {
    let lineEnd = text.indexOf(LF, i);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    if (lineEnd === i) {
      if (stopAtBlankLine && i > start) return i + 1;
      i++;
      continue;
    }
    let known = previous.next;
    let colon = -1;
    let hit = false;
    // The guess holds when the line starts with that name and a colon (a name never
    // contains a colon: it is what precedes the first one). Cheap checks first.
    if (known !== undefined) {
      colon = i + known.name.length;
      if (
        colon < lineEnd &&
        text.charCodeAt(colon) === COLON &&
        text.charCodeAt(i) === known.first &&
        text.charCodeAt(colon - 1) === known.last
      ) {
        if (scans > 0) {
          hit = text.indexOf(known.pattern, i) === i;
          if (!hit) scans--;
        } else {
          hit = text.slice(i, colon) === known.name;
        }
      }
    }
    if (!hit || known === undefined) {
      if (nextColon < i) {
        nextColon = text.indexOf(':', i);
        if (nextColon === -1 || nextColon > end) nextColon = end;
      }
      colon = nextColon;
      if (colon >= lineEnd) {
        i = lineEnd + 1;
        continue;
      }
      known = names.learn(previous, text.slice(i, colon));
    }
    previous = known;
    const valueStart = colon + 1 < lineEnd && text.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
    const raw = text.slice(valueStart, lineEnd);
    if (!decode) {
      into[known.name] = raw;
    } else {
      if (nextPercent < valueStart) {
        nextPercent = text.indexOf('%', valueStart);
        if (nextPercent === -1 || nextPercent > end) nextPercent = end;
      }
      let value = raw;
      if (nextPercent < lineEnd) {
        if (known.lastRaw === raw) {
          value = known.lastDecoded ?? raw;
        } else {
          value = decodedValues.decode(raw);
          known.lastRaw = ownCopy(raw);
          known.lastDecoded = value;
        }
      }
      into[known.name] = isArrayValue(value) ? value.slice(7).split('|:') : value;
    }
    i = lineEnd + 1;
  }
  return end;
}

/** Whether a decoded plain-event value is `ARRAY::...` (cheap checks before the exact one). */
function isArrayValue(value: string): boolean {
  return value.charCodeAt(6) === COLON && value.charCodeAt(0) === 65 /* A */ && value.slice(0, 7) === 'ARRAY::';
}

function decodeValue(raw: string): string | string[] {
  const value = urlDecode(raw);
  if (isArrayValue(value)) return value.slice(7).split('|:');
  return value;
}

/** Top-level frame headers: never decoded. */
export function parseFrameHeaders(text: string): Record<string, string> {
  const headers = Object.create(null) as Record<string, string>;
  readHeaderBlock(text, 0, text.length, false, false, frameNames, headers);
  return headers;
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
  const headers = Object.create(null) as EventHeaders;
  const bodyStart = readHeaderBlock(text, 0, text.length, true, true, eventNames, headers);
  let body: string | undefined;
  if (headers['Content-Length'] !== undefined) {
    delete headers['Content-Length'];
    body = bodyStart < text.length ? text.slice(bodyStart) : '';
  }
  return { headers, body };
}
