/**
 * The app factory: builds the fastify app from its dependencies, without listening,
 * so tests inject fakes and call routes with `app.inject()`.
 *
 * A feature adds its HTTP routes as one fastify plugin of type `AppPlugin`
 * (src/http/route-deps.ts, which features import instead of this file), documents them
 * through `deps.openapi`, and is listed in `routes` below (or passed in `extraRoutes` by
 * a test). Plugins only register routes: the services they use come built in
 * `deps.services` (src/services.ts).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { FsPolicy } from '../fs-lang/policy.js';
import { policyOptions } from '../fs-lang/policy-options.js';
import { createServices } from '../services.js';
import { installErrorHandler } from './error-handler.js';
import { createOpenApi, openapiRoutes } from './openapi.js';
import type { AppDeps, AppPlugin, RouteDeps } from './route-deps.js';
import { healthRoutes } from './routes/health.js';
import { xmlCurlRoutes } from '../xml-curl/routes.js';
import { adminExtensionRoutes } from '../admin/routes.js';
import { routingRoutes } from '../routing/http.js';
import { cliRoutes } from '../cli-http/cli-route.js';
import { callControlRoutes } from '../call-control/routes.js';
import { eventStreamRoutes } from '../event-stream/routes.js';
import { linegroupRoutes } from '../linegroups/routes.js';
import { acdRoutes } from '../acd/routes.js';
import { nacdRoutes } from '../nacd/routes.js';
import { nacdCommandRoutes } from '../nacd/command-routes.js';
import { calloutRoutes } from '../callout/routes.js';

export type { AppDeps, AppPlugin, RouteDeps } from './route-deps.js';

/** Every route plugin, in registration order. Features append theirs. */
const routes: readonly AppPlugin[] = [healthRoutes, openapiRoutes, xmlCurlRoutes, routingRoutes, cliRoutes, callControlRoutes, eventStreamRoutes, adminExtensionRoutes, linegroupRoutes, acdRoutes, nacdRoutes, nacdCommandRoutes, calloutRoutes];

export function buildApp(deps: AppDeps, extraRoutes: readonly AppPlugin[] = []): FastifyInstance {
  const app = Fastify({
    // Typed as fastify's logger so that the app is a plain FastifyInstance for plugins.
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Requests are logged at debug by the onResponse hook below, not at info by fastify.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  });
  installErrorHandler(app);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, seconds);
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  const { services: given, xmlCurl, ...rest } = deps;
  const policy = deps.policy ?? new FsPolicy(policyOptions(deps.config));
  let services = given;
  if (services === undefined) {
    // Tests: the same services src/service.ts builds, owned by this app.
    const owned = createServices({ ...rest, policy, ...(xmlCurl === undefined ? {} : { xmlCurl }) });
    app.addHook('onReady', async () => owned.start());
    app.addHook('onClose', async () => owned.close());
    services = owned;
  }
  const routeDeps: RouteDeps = { ...rest, policy, services, openapi: createOpenApi(deps.version) };
  for (const plugin of [...routes, ...extraRoutes]) void app.register(plugin, routeDeps);
  return app;
}
