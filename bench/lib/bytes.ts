/** Building benchmark input: repeat a byte string to a volume and cut it like TCP would. */

/** `unit` repeated until the result holds at least `minBytes` (whole repetitions only). */
export function repeatToVolume(unit: Buffer, minBytes: number): { bytes: Buffer; repetitions: number } {
  const repetitions = Math.max(1, Math.ceil(minBytes / unit.length));
  return { bytes: Buffer.concat(new Array<Buffer>(repetitions).fill(unit)), repetitions };
}

/** Views of `bytes` of `size` bytes each (the last one shorter), like socket reads of that size. */
export function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size));
  return chunks;
}
