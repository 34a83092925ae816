/**
 * The routing feature's fastify plugin:
 * - serves the mod_xml_curl `dialplan` section (router.ts);
 * - seeds `routing.routes` from the config into Redis (once Redis is reachable);
 * - `GET/PUT/DELETE /api/v1/routes[/:id]`, protected by an admin key (docs/routing.md).
 * A route's `secret` is write-only: reads show `hasSecret` instead.
 */
import type { AppPlugin } from '../http/app.js';
import { FreectiError } from '../errors.js';
import { adminKeyHook } from '../http/admin-auth.js';
import { Keys } from '../keys.js';
import { assertRedisReady } from '../redis.js';
import { closeSharedWebhookClient, sharedWebhookClient } from '../webhook/shared.js';
import { documentRoutesApi } from './openapi.js';
import { routeSchema, type Route } from './route-schema.js';
import { controlSocketAddress } from './control-dialplan.js';
import { createDialplanRouter, fallbackRefusal } from './router.js';
import { RouteStore } from './route-store.js';

export function publicRoute(route: Route): Omit<Route, 'secret'> & { hasSecret: boolean } {
  const { secret, ...rest } = route;
  return { ...rest, hasSecret: secret !== undefined };
}

export const routingRoutes: AppPlugin = async (app, deps) => {
  const { config, redis, metrics } = deps;
  const log = deps.logger.child({ component: 'routing' });
  /** The toll-fraud rule: a public route's fallback never reaches outbound lines. */
  const checkPublic = (route: Route, where: string): void => {
    if (route.context !== config.fsConfig.publicContext) return;
    const why = fallbackRefusal(route, config.fsConfig.publicContext, deps.policy);
    if (why !== undefined) throw new FreectiError(where === 'config' ? 'CONFIG_INVALID' : 'BAD_REQUEST', `${where === 'config' ? `config routing.routes '${route.id}': ` : ''}fallback ${why}`);
  };
  for (const route of config.routing.routes) checkPublic(route, 'config');
  const store = new RouteStore(redis, new Keys(config.redis.keyPrefix), log, config.routing.cacheMs);

  if (config.routing.enabled) {
    const webhooks = sharedWebhookClient(metrics.registry, deps.logger);
    const router = createDialplanRouter({ store, webhooks, logger: deps.logger, registry: metrics.registry, publicContext: config.fsConfig.publicContext, policy: deps.policy,
      controlSocket: controlSocketAddress(config.eslOutbound.host, config.eslOutbound.port),
    });
    deps.xmlCurl.register('dialplan', (req) => router.route(req));
    app.addHook('onClose', async () => closeSharedWebhookClient(metrics.registry));
  }

  // The client has no offline queue: a command sent before it is 'ready' fails at once. So
  // seed once it is ready (at start it is still connecting); only a failure of a ready
  // client is worth a warning, and is retried at the next 'ready'.
  let seeded = false;
  const seed = async (): Promise<void> => {
    if (seeded || config.routing.routes.length === 0) return;
    if (redis.status !== 'ready') {
      redis.once('ready', () => void seed());
      return;
    }
    try {
      const added = await store.seed(config.routing.routes);
      seeded = true;
      log.info({ added, configured: config.routing.routes.length }, 'routes from the config seeded into Redis');
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'cannot seed routes into Redis; retrying when Redis is ready again');
      redis.once('ready', () => void seed());
    }
  };
  void seed();

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
