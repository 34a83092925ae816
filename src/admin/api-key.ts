/**
 * Admin API keys (config `admin.keys`). A request presents one as `X-API-Key: <key>`
 * or `Authorization: Bearer <key>`. Keys are compared in constant time over SHA-256
 * digests (equal lengths whatever was sent), against every configured key without an
 * early exit. No key configured: the admin API is disabled (503 ADMIN_DISABLED).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { FreectiError } from '../errors.js';

export type KeyCheck = (request: FastifyRequest) => void;

export function apiKeyCheck(keys: readonly string[]): KeyCheck {
  const digests = keys.map(digest);
  return (request) => {
    if (digests.length === 0) throw new FreectiError('ADMIN_DISABLED', 'admin API disabled: set admin.keys in the configuration');
    const given = presentedKey(request);
    if (given === undefined) throw new FreectiError('UNAUTHORIZED', 'missing admin API key (X-API-Key header)');
    const candidate = digest(given);
    let match = false;
    for (const d of digests) match = timingSafeEqual(candidate, d) || match;
    if (!match) throw new FreectiError('UNAUTHORIZED', 'wrong admin API key');
  };
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = request.headers.authorization;
  const bearer = auth === undefined ? undefined : /^Bearer (.+)$/i.exec(auth)?.[1];
  return bearer;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
