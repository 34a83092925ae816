/**
 * FreeSWITCH's url encoder for plain-event header values (switch_url_encode, no double
 * encoding): bytes below space or above `~` and the characters of SWITCH_URL_UNSAFE are
 * written as `%XX` (upper-case hex); everything else stays raw, so `, / ( ) ' * ~ - . _ ! $`
 * pass unchanged (README observation 3). An existing `%XX` with upper-case hex digits is
 * kept as it is, exactly like FreeSWITCH does.
 */
const UNSAFE = new Set(Array.from('\r\n #%&+:;<=>?@[\\]^`{|}"', (c) => c.charCodeAt(0)));
const HEX = '0123456789ABCDEF';

function isUpperHex(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 70));
}

export function fsUrlEncode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const keptEscape = byte === 37 && isUpperHex(bytes[i + 1]) && isUpperHex(bytes[i + 2]);
    if (!keptEscape && (byte < 32 || byte > 126 || UNSAFE.has(byte))) {
      out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    } else {
      out += String.fromCharCode(byte);
    }
  }
  return out;
}
