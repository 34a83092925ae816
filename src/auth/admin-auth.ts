/**
 * The admin key check for every admin REST API (extensions, routes, line groups): a
 * fastify `onRequest` hook.
 *
 * - no `admin.keys` configured: 503 FREECTI_ERR_ADMIN_DISABLED (secure by default);
 * - the key comes from `X-API-Key: <key>` or `Authorization: Bearer <key>` (never the
 *   query string, which ends up in access logs);
 * - the presented key is compared with every configured key in constant time
 *   (src/secret-digest.ts): 401 FREECTI_ERR_UNAUTHORIZED.
 */
import type { FastifyRequest } from 'fastify';
import { FreectiError } from '../errors.js';
import { matchesAnyDigest, secretDigest } from '../secret-digest.js';

/** The key presented by a request, if any. */
export function adminKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const match = /^Bearer\s+(.+?)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

export function adminKeyHook(keys: readonly string[]): (request: FastifyRequest) => Promise<void> {
  const digests = keys.map(secretDigest);
  return async (request) => {
    if (digests.length === 0) throw new FreectiError('ADMIN_DISABLED', 'admin API disabled: set admin.keys in the configuration');
    const key = adminKeyOf(request);
    const ok = matchesAnyDigest(key ?? '', digests);
    if (key === undefined) throw new FreectiError('UNAUTHORIZED', 'missing admin API key (X-API-Key header)');
    if (!ok) throw new FreectiError('UNAUTHORIZED', 'wrong admin API key');
  };
}

/** OpenAPI security scheme name used by admin routes. */
export const ADMIN_SECURITY_SCHEME = 'adminKey';
