/**
 * Percent-decoding for ESL plain-event header values.
 *
 * FreeSWITCH encodes inner plain-event values with its own url encoder (spaces as
 * %20, never '+'), so '+' stays '+'. A bad '%' sequence (truncated, not hex, or
 * decoding to invalid UTF-8) must never throw: the bytes are kept as they came.
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

/** Decodes every valid %XX into a byte, keeps everything else as-is, then reads the bytes as UTF-8. */
function lenientDecode(value: string): string {
  const source = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(source.length);
  let o = 0;
  for (let i = 0; i < source.length; i++) {
    const byte = source[i] as number;
    if (byte === 37 && i + 2 < source.length) {
      const hi = hexValue(source[i + 1] ?? 0);
      const lo = hexValue(source[i + 2] ?? 0);
      if (hi >= 0 && lo >= 0) {
        out[o++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[o++] = byte;
  }
  return out.toString('utf8', 0, o);
}
