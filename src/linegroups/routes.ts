/**
 * The line groups feature plugin:
 * - `GET/PUT/DELETE /api/v1/linegroups[/:group]` and `GET /api/v1/linegroups/:group/status`,
 *   protected by an admin key (src/auth/admin-auth.ts).
 * The lease reaper (lease-reaper.ts) is started by src/services.ts, not here.
 * docs/linegroups.md.
 */
import { FreectiError } from '../errors.js';
import type { AppPlugin } from '../http/route-deps.js';
import { adminKeyHook } from '../auth/admin-auth.js';
import { keysFor } from '../keys.js';
import { assertRedisReady } from '../redis.js';
import { LineSlots } from './line-slots.js';
import { documentLinegroupsApi } from './openapi.js';
import { LinegroupStore } from './store.js';

export const linegroupRoutes: AppPlugin = async (app, deps) => {
  const { config, redis } = deps;
  const log = deps.logger.child({ component: 'linegroups' });
  const keys = keysFor(config);
  const store = new LinegroupStore(redis, keys);
  const slots = new LineSlots(redis, keys);
  const groupOf = (params: unknown): string => (params as { group?: string }).group ?? '';

  documentLinegroupsApi(deps.openapi);
  await app.register(async (api) => {
    api.addHook('onRequest', adminKeyHook(config.admin.keys));
    api.addHook('preHandler', async () => assertRedisReady(redis));

    api.get('/api/v1/linegroups', async () => {
      const { groups, invalid } = await store.list();
      return { linegroups: groups, invalid };
    });

    api.get('/api/v1/linegroups/:group', async (request) => store.get(groupOf(request.params)));

    api.get('/api/v1/linegroups/:group/status', async (request) => {
      const name = groupOf(request.params);
      const group = await store.get(name);
      return { lines: await slots.status(name, group.lines) };
    });

    api.put('/api/v1/linegroups/:group', async (request, reply) => {
      const name = groupOf(request.params);
      const body = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FreectiError('BAD_REQUEST', 'body must be a JSON object');
      const { group, created } = await store.put(name, body);
      log.info({ group: name, lines: group.lines.map((l) => l.id), strategy: group.strategy, created }, created ? 'line group created' : 'line group replaced');
      return reply.code(created ? 201 : 200).send(group);
    });

    api.delete('/api/v1/linegroups/:group', async (request, reply) => {
      const name = groupOf(request.params);
      if (!(await store.delete(name))) throw new FreectiError('LINEGROUP_NOT_FOUND', `no line group '${name}'`);
      log.info({ group: name }, 'line group deleted');
      return reply.code(204).send();
    });
  });
};
