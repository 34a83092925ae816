/**
 * Percent-decoding for ESL plain-event header values.
 *
 * FreeSWITCH encodes inner plain-event values with its own url encoder (spaces as
 * %20, never '+'), so '+' stays '+'. A bad '%' sequence (truncated, not hex, or
 * decoding to invalid UTF-8) must never throw: such bytes are kept as they came,
 * e.g. '100%' stays '100%' and a truncated '%E2%82' stays '%E2%82'.
 */
export function urlDecode(value: string): string {
  const percent = value.indexOf('%');
  return percent === -1 ? value : urlDecodeRange(value, 0, value.length, percent);
}

/** Decodes text[from, to); `percent` is the offset of the first '%' in that range. */
export function urlDecodeRange(text: string, from: number, to: number, percent: number): string {
  const raw = text.slice(from, to);
  try {
    return decodeURIComponent(raw);
  } catch {
    return lenientDecode(raw);
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

/**
 * Decodes every `%XX` run that forms valid UTF-8 and keeps everything else (a lone '%',
 * bad hex, a byte that is not valid UTF-8 where it stands) as the original text.
 */
function lenientDecode(text: string): string {
  let out = '';
  let copiedTo = 0;
  let i = text.indexOf('%');
  while (i !== -1) {
    const lead = escapedByte(text, i);
    const length = lead < 0 ? 0 : sequenceLength(lead);
    let decoded: string | undefined;
    if (length > 0) {
      const bytes = [lead];
      for (let k = 1; k < length; k++) {
        const next = escapedByte(text, i + 3 * k);
        if (next < 0x80 || next > 0xbf) break;
        bytes.push(next);
      }
      if (bytes.length === length) {
        const candidate = Buffer.from(bytes).toString('utf8');
        // Overlong forms and surrogates come out as U+FFFD: not valid here.
        if (!candidate.includes('\ufffd')) decoded = candidate;
      }
    }
    if (decoded === undefined) {
      i = text.indexOf('%', i + 1);
      continue;
    }
    out += text.slice(copiedTo, i) + decoded;
    copiedTo = i + 3 * length;
    i = text.indexOf('%', copiedTo);
  }
  return out + text.slice(copiedTo);
}
