/**
 * What a feature's fastify plugin receives (its options): the types features import,
 * so that they never import src/http/app.ts (which imports them). A plugin only
 * registers routes and documents them; the services it uses were built once by
 * createServices (src/services.ts) and come in `deps.services`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RedisClient } from '../redis.js';
import type { NodeLeaseSource } from '../cluster/node-state-consumers.js';
import type { Config } from '../config/schema.js';
import type { FsPool } from '../esl/types.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Services } from '../services.js';
import type { XmlCurlSections } from '../xml-curl/sections.js';
import type { OpenApi } from './openapi.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** The shared client (src/redis.ts): fails fast while Redis is down. */
  redis: RedisClient;
  pool: FsPool;
  metrics: Metrics;
  /** freecti's version, shown by /health and the OpenAPI document. */
  version: string;
  /** What may reach FreeSWITCH (src/fs-lang/policy.ts); buildApp makes one from config.security when absent (tests). */
  policy?: FsPolicy;
  /**
   * The long-lived services (src/services.ts), built by src/service.ts. When absent (tests),
   * buildApp builds them, starts them when the app is ready and closes them with the app.
   */
  services?: Services;
  /**
   * The node leases as this instance knows them (src/service.ts passes the node state
   * consumers): /health shows them and counts a node ready only once its lease is known.
   * Absent (tests of other routes): /health looks at the ESL state only.
   */
  leases?: NodeLeaseSource;
  /** mod_xml_curl sections a test prepared, used only when buildApp builds the services. */
  xmlCurl?: XmlCurlSections;
}

/** What every route plugin receives as its options. */
export interface RouteDeps extends Omit<AppDeps, 'services' | 'xmlCurl'> {
  /** This app's OpenAPI document: plugins document their routes here. */
  openapi: OpenApi;
  policy: FsPolicy;
  services: Services;
}

export type AppPlugin = FastifyPluginAsync<RouteDeps>;
