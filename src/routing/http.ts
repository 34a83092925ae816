/**
 * The routing feature's fastify plugin:
 * - checks the config's public routes (the dialplan section, router.ts, and the seeding of
 *   `routing.routes` into Redis are built and started by src/services.ts);
 * - `GET/PUT/DELETE /api/v1/routes[/:id]`, protected by an admin key (docs/routing.md).
 * A route's `secret` is write-only: reads show `hasSecret` instead.
 */
import type { AppPlugin } from '../http/route-deps.js';
import { FreectiError } from '../errors.js';
import { adminKeyHook } from '../auth/admin-auth.js';
import { assertRedisReady } from '../redis.js';
import { documentRoutesApi } from './openapi.js';
import { routeSchema, type Route } from './route-schema.js';
import { fallbackRefusal } from './router.js';

export function publicRoute(route: Route): Omit<Route, 'secret'> & { hasSecret: boolean } {
  const { secret, ...rest } = route;
  return { ...rest, hasSecret: secret !== undefined };
}

export const routingRoutes: AppPlugin = async (app, deps) => {
  const { config, redis } = deps;
  const log = deps.logger.child({ component: 'routing' });
  /** The toll-fraud rule: a public route's fallback never reaches outbound lines. */
  const checkPublic = (route: Route, where: string): void => {
    if (route.context !== config.fsConfig.publicContext) return;
    const why = fallbackRefusal(route, config.fsConfig.publicContext, deps.policy);
    if (why !== undefined) throw new FreectiError(where === 'config' ? 'CONFIG_INVALID' : 'BAD_REQUEST', `${where === 'config' ? `config routing.routes '${route.id}': ` : ''}fallback ${why}`);
  };
  for (const route of config.routing.routes) checkPublic(route, 'config');
  // The store, the dialplan router and the seeding of config routes are src/services.ts's.
  const store = deps.services.routes;

  documentRoutesApi(deps.openapi);
  const auth = adminKeyHook(config.admin.keys);
  const idParam = (params: unknown): string => {
    const id = (params as { id?: string }).id ?? '';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new FreectiError('BAD_REQUEST', 'route id: letters, digits, _ . - only (1-64 chars)');
    return id;
  };

  await app.register(async (api) => {
    api.addHook('onRequest', auth);
    api.addHook('preHandler', async () => assertRedisReady(redis));

    api.get('/api/v1/routes', async () => ({ routes: (await store.list()).map(publicRoute) }));

    api.get('/api/v1/routes/:id', async (request) => {
      const id = idParam(request.params);
      const route = await store.get(id);
      if (route === undefined) throw new FreectiError('NOT_FOUND', `no route '${id}'`);
      return publicRoute(route);
    });

    api.put('/api/v1/routes/:id', async (request, reply) => {
      const id = idParam(request.params);
      const body = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FreectiError('BAD_REQUEST', 'body must be a JSON object');
      const given = (body as { id?: unknown }).id;
      if (given !== undefined && given !== id) throw new FreectiError('BAD_REQUEST', `body id '${String(given)}' differs from the path id '${id}'`);
      const route = routeSchema.parse({ ...body, id });
      checkPublic(route, 'request');
      const created = await store.put(route);
      log.info({ route: id, context: route.context, created }, created ? 'route created' : 'route replaced');
      return reply.code(created ? 201 : 200).send(publicRoute(route));
    });

    api.delete('/api/v1/routes/:id', async (request, reply) => {
      const id = idParam(request.params);
      if (!(await store.delete(id))) throw new FreectiError('NOT_FOUND', `no route '${id}'`);
      log.info({ route: id }, 'route deleted');
      return reply.code(204).send();
    });
  });
};
