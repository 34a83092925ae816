/**
 * The admin key check for admin REST APIs (routes, ...): a fastify `onRequest` hook.
 *
 * - no `admin.keys` configured: 503 FREECTI_ERR_ADMIN_DISABLED (secure by default);
 * - the key comes from `X-API-Key: <key>` or `Authorization: Bearer <key>` (never the
 *   query string, which ends up in access logs);
 * - the presented key is hashed and compared with every configured key's digest with
 *   timingSafeEqual, without stopping at the first match: 401 FREECTI_ERR_UNAUTHORIZED.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { FreectiError } from '../errors.js';

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The key presented by a request, if any. */
export function adminKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

export function adminKeyHook(keys: readonly string[]): (request: FastifyRequest) => Promise<void> {
  const digests = keys.map(digest);
  return async (request) => {
    if (digests.length === 0) throw new FreectiError('ADMIN_DISABLED');
    const key = adminKeyOf(request);
    const given = digest(key ?? '');
    let ok = false;
    for (const expected of digests) ok = timingSafeEqual(given, expected) || ok;
    if (key === undefined || !ok) throw new FreectiError('UNAUTHORIZED');
  };
}

/** OpenAPI security scheme name used by admin routes. */
export const ADMIN_SECURITY_SCHEME = 'adminKey';
