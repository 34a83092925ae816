/**
 * Extension admin REST API (docs in the OpenAPI document, openapi-extensions.ts):
 * GET/PUT/DELETE /api/v1/domains/:domain/extensions/:ext and the paged list.
 * PUT bodies are validated by the same schema the directory uses, so whatever the API
 * accepts FreeSWITCH gets. Every route needs an admin key (api-key.ts).
 */
import { z } from 'zod';
import { extensionSchema, DOMAIN_NAME, EXTENSION_NAME } from '../directory/extension-schema.js';
import { FreectiError } from '../errors.js';
import type { AppPlugin } from '../http/route-deps.js';
import { keysFor } from '../keys.js';
import { adminKeyHook } from '../auth/admin-auth.js';
import { documentExtensionApi } from './openapi-extensions.js';
import { ExtensionRepo } from './extension-repo.js';

const pathSchema = z.object({
  domain: z.string().regex(DOMAIN_NAME, 'domain: letters, digits, _ . : - [ ] (1-253 chars)'),
  ext: z.string().regex(EXTENSION_NAME, 'extension: letters, digits, _ . + * # - (1-64 chars)').optional(),
});
const listQuery = z.object({
  cursor: z.string().regex(/^\d{1,20}$/, 'cursor: the nextCursor of the previous page').default('0'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? where : `${where}.${issue.path.map(String).join('.')}`;
  throw new FreectiError('BAD_REQUEST', `${path}: ${issue?.message ?? 'invalid'}`, { details: { field: path } });
}

export const adminExtensionRoutes: AppPlugin = async (app, deps) => {
  documentExtensionApi(deps.openapi);
  const repo = new ExtensionRepo(deps.redis, keysFor(deps.config));
  const log = deps.logger.child({ component: 'admin' });

  app.addHook('onRequest', adminKeyHook(deps.config.admin.keys));

  app.get('/api/v1/domains/:domain/extensions', async (request) => {
    const { domain } = parse(pathSchema, request.params, 'path');
    const { cursor, limit } = parse(listQuery, request.query, 'query');
    return repo.list(domain, cursor, limit);
  });

  app.get('/api/v1/domains/:domain/extensions/:ext', async (request) => {
    const { domain, ext } = parse(pathSchema, request.params, 'path');
    const found = await repo.get(domain, ext ?? '');
    if (found === undefined) throw new FreectiError('NOT_FOUND', `no extension ${ext ?? ''} in domain ${domain}`);
    return found;
  });

  app.put('/api/v1/domains/:domain/extensions/:ext', async (request, reply) => {
    const { domain, ext } = parse(pathSchema, request.params, 'path');
    const value = parse(extensionSchema, request.body, 'body');
    const created = await repo.put(domain, ext ?? '', value);
    log.info({ domain, extension: ext, created }, 'extension written');
    return reply.code(created ? 201 : 200).send({ extension: ext, value });
  });

  app.delete('/api/v1/domains/:domain/extensions/:ext', async (request, reply) => {
    const { domain, ext } = parse(pathSchema, request.params, 'path');
    if (!(await repo.delete(domain, ext ?? ''))) throw new FreectiError('NOT_FOUND', `no extension ${ext ?? ''} in domain ${domain}`);
    log.info({ domain, extension: ext }, 'extension deleted');
    return reply.code(204).send();
  });
};
