/**
 * HMAC-SHA256 request signatures (docs/webhooks.md, "Verifying requests").
 *
 *   X-Freecti-Timestamp: <unix seconds>
 *   X-Freecti-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + payload)>
 *
 * `payload` is the request body exactly as sent; for a request without a body (GET) it
 * is the request target, i.e. the path and query exactly as sent (`/route?number=1001`),
 * so that query parameters are covered too.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-freecti-timestamp';
export const SIGNATURE_HEADER = 'x-freecti-signature';

export function signPayload(secret: string, timestamp: string, payload: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex')}`;
}

/** Headers to add to a request. `nowMs` is for tests. */
export function signatureHeaders(secret: string, payload: string, nowMs: number = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signPayload(secret, timestamp, payload) };
}

/**
 * What an application does (in TypeScript): checks the signature in constant time and
 * refuses timestamps older or newer than `toleranceSeconds` (replays).
 */
export function verifySignature(options: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  payload: string;
  toleranceSeconds?: number;
  nowMs?: number;
}): boolean {
  const { timestamp, signature } = options;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const age = Math.abs((options.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signPayload(options.secret, timestamp, options.payload));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
