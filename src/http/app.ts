/**
 * The app factory: builds the fastify app from its dependencies, without listening,
 * so tests inject fakes and call routes with `app.inject()`.
 *
 * A feature adds its HTTP routes as one fastify plugin of type `AppPlugin` in
 * src/http/routes/<feature>.ts, documents them through `deps.openapi`, and is listed
 * in `routes` below (or passed in `extraRoutes` by a test).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { FsPool } from '../esl/types.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { installErrorHandler } from './error-handler.js';
import { createOpenApi, openapiRoutes, type OpenApi } from './openapi.js';
import { healthRoutes } from './routes/health.js';
import { XmlCurlSections } from '../xml-curl/sections.js';
import { xmlCurlRoutes } from '../xml-curl/routes.js';
import { adminExtensionRoutes } from '../admin/routes.js';
import { routingRoutes } from '../routing/http.js';
import { cliRoutes } from '../cli-http/cli-route.js';
import { callControlRoutes } from '../call-control/routes.js';
import { eventStreamRoutes } from '../event-stream/routes.js';
import { linegroupRoutes } from '../linegroups/routes.js';
import { FsPolicy } from '../fs-lang/policy.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** The shared client (src/redis.ts): fails fast while Redis is down. */
  redis: Redis;
  pool: FsPool;
  metrics: Metrics;
  /** freecti's version, shown by /health and the OpenAPI document. */
  version: string;
  /** mod_xml_curl sections; buildApp makes one when absent (src/xml-curl/sections.ts). */
  xmlCurl?: XmlCurlSections;
  /** What may reach FreeSWITCH (src/fs-lang/policy.ts); buildApp makes one from config.security when absent. */
  policy?: FsPolicy;
}

/** What every route plugin receives as its options. */
export interface RouteDeps extends AppDeps {
  /** This app's OpenAPI document: plugins document their routes here. */
  openapi: OpenApi;
  /** The mod_xml_curl section dispatcher: `deps.xmlCurl.register('dialplan', handler)` (src/xml-curl/sections.ts). */
  xmlCurl: XmlCurlSections;
  policy: FsPolicy;
}

export type AppPlugin = FastifyPluginAsync<RouteDeps>;

/** Every route plugin, in registration order. Features append theirs. */
const routes: readonly AppPlugin[] = [healthRoutes, openapiRoutes, xmlCurlRoutes, routingRoutes, cliRoutes, callControlRoutes, eventStreamRoutes, adminExtensionRoutes, linegroupRoutes];

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
  const routeDeps: RouteDeps = {
    ...deps,
    openapi: createOpenApi(deps.version),
    xmlCurl: deps.xmlCurl ?? new XmlCurlSections(),
    policy: deps.policy ?? new FsPolicy(deps.config.security),
  };
  for (const plugin of [...routes, ...extraRoutes]) void app.register(plugin, routeDeps);
  return app;
}
