/**
 * The nacd API (admin key): groups under /api/v1/nacd/groups (docs/nacd.md "Groups") and
 * the DID tables under /api/v1/nacd/did/in and /api/v1/nacd/did/out (docs/nacd.md "DID").
 * The stores come from the composition root (deps.services.nacd).
 */
import { adminKeyHook } from '../auth/admin-auth.js';
import { FreectiError } from '../errors.js';
import type { AppPlugin } from '../http/route-deps.js';
import { assertRedisReady } from '../redis.js';
import { documentNacdApi } from './openapi.js';

export const nacdRoutes: AppPlugin = async (app, deps) => {
  const { config, redis } = deps;
  const store = deps.services.nacd.groups;
  const log = deps.logger.child({ component: 'nacd' });
  const numberOf = (params: unknown): string => (params as { group?: string }).group ?? '';
  documentNacdApi(deps.openapi);
  await app.register(async (api) => {
    api.addHook('onRequest', adminKeyHook(config.admin.keys));
    api.addHook('preHandler', async () => assertRedisReady(redis));

    api.get('/api/v1/nacd/groups', async () => store.list());
    api.get('/api/v1/nacd/groups/:group', async (request) => store.get(numberOf(request.params)));
    api.put('/api/v1/nacd/groups/:group', async (request, reply) => {
      const number = numberOf(request.params);
      const body = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FreectiError('BAD_REQUEST', 'body must be a JSON object');
      const { group, created } = await store.put(number, body);
      log.info({ group: number, created }, created ? 'nacd group created' : 'nacd group replaced');
      return reply.code(created ? 201 : 200).send(group);
    });
    api.delete('/api/v1/nacd/groups/:group', async (request, reply) => {
      const number = numberOf(request.params);
      if (!(await store.delete(number))) throw new FreectiError('NACD_GROUP_NOT_FOUND', `no nacd group '${number}'`);
      log.info({ group: number }, 'nacd group deleted');
      return reply.code(204).send();
    });

    for (const direction of ['in', 'out'] as const) {
      const table = deps.services.nacd.did[direction];
      const base = `/api/v1/nacd/did/${direction}`;
      const didOf = (params: unknown): string => (params as { number?: string }).number ?? '';
      api.get(base, async () => table.list());
      api.get(`${base}/:number`, async (request) => table.get(didOf(request.params)));
      api.put(`${base}/:number`, async (request, reply) => {
        const number = didOf(request.params);
        const body = request.body;
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FreectiError('BAD_REQUEST', 'body must be a JSON object');
        const { entry, created } = await table.put(number, body);
        log.info({ did: direction, number, created }, `DID ${direction} entry ${created ? 'created' : 'replaced'}`);
        return reply.code(created ? 201 : 200).send(entry);
      });
      api.delete(`${base}/:number`, async (request, reply) => {
        const number = didOf(request.params);
        if (!(await table.delete(number))) throw new FreectiError('NOT_FOUND', `no DID ${direction} entry for '${number}'`);
        log.info({ did: direction, number }, `DID ${direction} entry deleted`);
        return reply.code(204).send();
      });
    }
  });
};
