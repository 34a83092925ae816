/**
 * Redis Cluster key slots (the cluster specification, "Keys distribution model"):
 * slot = CRC16(key) mod 16384, where only the hash tag is hashed when the key has one
 * (the part between the first `{` and the next `}`, when not empty). Two keys can be in
 * one script only when their slots are equal; src/keys.ts uses `hashTag` to put
 * freecti's own keys in the slot of the seed key they change together with.
 */

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** CRC16-CCITT (XMODEM), the one Redis Cluster uses. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/** The part of `key` Redis Cluster hashes: its hash tag when it has one, else the whole key. */
export function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/**
 * A hash tag that puts any key containing it in the slot of `key`: `{tag}` when `key`
 * has the tag `tag`, else `{key}` (a key without a tag is hashed whole). A `key`
 * containing `}` without a tag of its own cannot be matched by a tag (the tag would end
 * early): undefined.
 */
export function hashTag(key: string): string | undefined {
  const part = hashedPart(key);
  if (part === key && key.includes('}')) return undefined;
  return `{${part}}`;
}

/** The Redis Cluster slot (0-16383) of a key. */
export function keySlot(key: string): number {
  return crc16(Buffer.from(hashedPart(key), 'utf8')) % 16384;
}
