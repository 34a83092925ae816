/**
 * Percent-decoding for ESL plain-event header values.
 *
 * FreeSWITCH encodes inner plain-event values with its own url encoder (spaces as
 * %20, never '+'), so '+' stays '+'. A bad '%' sequence (truncated, not hex, or
 * not valid UTF-8) must never throw: such bytes are kept as they came, e.g. '100%'
 * stays '100%' and a truncated '%E2%82' stays '%E2%82'; valid sequences around
 * them are still decoded.
 */
export function urlDecode(value: string): string {
  if (value.indexOf('%') === -1) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return lenientDecode(value);
  }
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 70) return code - 55; // A-F
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

/** The byte of a valid `%XX` at text[at], or -1. */
function escapedByte(text: string, at: number): number {
  if (text.charCodeAt(at) !== 37 /* % */) return -1;
  const hi = hexValue(text.charCodeAt(at + 1));
  const lo = hexValue(text.charCodeAt(at + 2));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** Length of the UTF-8 sequence starting with `lead`, or 0 when `lead` cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Allowed range of the second byte after `lead` (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
function secondByteRange(lead: number): [number, number] {
  if (lead === 0xe0) return [0xa0, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

/** The code point of the valid UTF-8 sequence of escapes at text[at], and its length in escapes. */
function decodeSequence(text: string, at: number): { codePoint: number; escapes: number } | undefined {
  const lead = escapedByte(text, at);
  const length = lead < 0 ? 0 : sequenceLength(lead);
  if (length === 0) return undefined;
  let codePoint = length === 1 ? lead : lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const byte = escapedByte(text, at + 3 * k);
    const [low, high] = k === 1 ? secondByteRange(lead) : [0x80, 0xbf];
    if (byte < low || byte > high) return undefined;
    codePoint = (codePoint << 6) | (byte & 0x3f);
  }
  return { codePoint, escapes: length };
}

/** Decodes every `%XX` sequence that is valid UTF-8 and keeps everything else as it came. */
function lenientDecode(text: string): string {
  let out = '';
  let copiedTo = 0;
  let at = text.indexOf('%');
  while (at !== -1) {
    const sequence = decodeSequence(text, at);
    if (sequence === undefined) {
      at = text.indexOf('%', at + 1);
      continue;
    }
    out += text.slice(copiedTo, at) + String.fromCodePoint(sequence.codePoint);
    copiedTo = at + 3 * sequence.escapes;
    at = text.indexOf('%', copiedTo);
  }
  return out + text.slice(copiedTo);
}

/**
 * Recently decoded values. The same url-encoded values come back in event after event
 * (a channel's name, addresses and variables are repeated in every event of its call, the
 * date in every event of that second): a lookup costs a fraction of decoding. It holds
 * strings only (immutable, safe to share); two generations keep it bounded and roughly LRU.
 */
export class UrlDecodeCache {
  private young = new Map<string, string>();
  private old = new Map<string, string>();

  /** At most 2 × `generationSize` entries of raw values up to `maxLength` characters. */
  constructor(
    private readonly generationSize = 2048,
    private readonly maxLength = 512,
  ) {}

  /** urlDecode(raw), from the cache when seen recently. */
  decode(raw: string): string {
    const cached = this.young.get(raw);
    if (cached !== undefined) return cached;
    const value = this.old.get(raw) ?? urlDecode(raw);
    if (raw.length <= this.maxLength) {
      if (this.young.size >= this.generationSize) {
        this.old = this.young;
        this.young = new Map();
      }
      this.young.set(ownCopy(raw), value);
    }
    return value;
  }
}

/**
 * A copy of `text` that does not keep a larger string alive: V8 may represent a slice as
 * a view into its parent (here: a whole event body), which a long-lived cache key must not be.
 */
export function ownCopy(text: string): string {
  return (text + ' ').slice(0, -1);
}
