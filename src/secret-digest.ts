/**
 * Secrets (API keys, credentials) are compared as SHA-256 digests with
 * timingSafeEqual: the digests have equal lengths whatever was presented, so the
 * comparison time says nothing about the secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** True when `presented` matches one of `digests`; compares with every one, no early exit. */
export function matchesAnyDigest(presented: string, digests: readonly Buffer[]): boolean {
  const candidate = secretDigest(presented);
  let match = false;
  for (const digest of digests) match = timingSafeEqual(candidate, digest) || match;
  return match;
}
