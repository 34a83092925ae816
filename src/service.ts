/**
 * The composition root: wires one freecti instance (Redis client, FreeSWITCH node pool,
 * metrics, the node state consumers and their leases, the services of src/services.ts,
 * the HTTP app, the outbound event socket), then listens. Nothing else builds services. It starts even when Redis and every FreeSWITCH node are down:
 * both reconnect forever in the background, log clearly, and /health shows them.
 * `stop()` shuts down gracefully: stop accepting HTTP, close the pool, quit Redis.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from './redis.js';
import type { Config } from './config/schema.js';
import { createNodePool } from './esl/node-pool.js';
import type { FsPool } from './esl/types.js';
import { buildApp } from './http/app.js';
import type { AppPlugin } from './http/route-deps.js';
import { createServices } from './services.js';
import { startNodeStateConsumers } from './cluster/node-state-consumers.js';
import { startOutboundSockets, type OutboundSockets } from './bridge/outbound-wiring.js';
import { attachRoutingControl } from './routing/control-mode.js';
import { attachNacd, runNacdOnSession, type NacdSessionDeps } from './nacd/attach.js';
import { startAcdCalls } from './acd/calls/index.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { closeRedis, createRedis, redactUrl } from './redis.js';
import { FsPolicy } from './fs-lang/policy.js';
import { policyOptions, unsafeVariablesIn } from './fs-lang/policy-options.js';

export interface Service {
  readonly app: FastifyInstance;
  /** Where the HTTP server listens, e.g. `http://127.0.0.1:8088`. */
  readonly url: string;
  readonly redis: RedisClient;
  readonly pool: FsPool;
  readonly metrics: Metrics;
  /** Graceful shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Replaces the real pool (tests). */
  createPool?: (config: Config, logger: Logger) => FsPool;
  extraRoutes?: readonly AppPlugin[];
  /** Longest wait for each shutdown step. Default 10 s. */
  stopTimeoutMs?: number;
}

export async function startService(config: Config, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
  const version = packageVersion();
  logger.info({ version, pid: process.pid }, 'freecti starting');
  const metrics = createMetrics({ version });
  const redis = createRedis(config, logger);
  let pool: FsPool;
  try {
    pool = (options.createPool ?? createNodePool)(config, logger);
  } catch (error) {
    await closeRedis(redis);
    throw error;
  }
  metrics.observeRedis(redis);
  metrics.observePool(pool);
  // Registration and call state (seed 001): one lease-holding consumer per node; started before any await.
  const nodeState = startNodeStateConsumers({ pool, redis, config, logger, registry: metrics.registry });
  // One allow-list policy for everything that reaches FreeSWITCH (docs/security.md).
  const policy = new FsPolicy(policyOptions(config));
  const unsafe = unsafeVariablesIn(config.security);
  if (unsafe.length > 0) {
    logger.warn({ variables: unsafe }, 'security.variables lists variables a remote party can fill with ${...}; FreeSWITCH runs api functions in their values (docs/security.md)');
  }
  // Every long-lived service, once (src/services.ts); the HTTP plugins only register routes.
  const services = createServices({ config, logger, redis, pool, metrics, policy });
  const app = buildApp({ config, logger, redis, pool, metrics, version, policy, services, leases: nodeState }, options.extraRoutes);
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;

  let outbound: OutboundSockets | undefined = undefined;
  let releaseRoutingControl: (() => void) | undefined = undefined;
  let detachNacd: (() => void) | undefined = undefined;
  let acdCalls: { stop(): Promise<void> } | undefined = undefined;

  const shutdown = async (): Promise<void> => {
    await step(logger, 'http server', stopTimeoutMs, () => app.close());
    await step(logger, 'outbound event socket', stopTimeoutMs, async () => outbound?.stop());
    await step(logger, 'routing control', stopTimeoutMs, async () => releaseRoutingControl?.());
    await step(logger, 'nacd callflow', stopTimeoutMs, async () => detachNacd?.());
    await step(logger, 'acd calls', stopTimeoutMs, async () => acdCalls?.stop());
    await step(logger, 'services', stopTimeoutMs, () => services.close());
    await step(logger, 'node state consumers', stopTimeoutMs, () => nodeState.stop());
    await step(logger, 'freeswitch pool', stopTimeoutMs, () => pool.close());
    await step(logger, 'redis', stopTimeoutMs, () => closeRedis(redis));
  };

  let url: string;
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
    const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    url = `http://${host}:${port}`;
  } catch (error) {
    await shutdown();
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot listen on ${config.http.host}:${config.http.port} (${reason})`, { cause: error });
  }
  // The ACD's call half listens for the engine's offers before the engine starts (docs/acd.md "Calls on FreeSWITCH").
  const acd = startAcdCalls({ engine: services.acd.engine, pool, policy, logger, resolver: services.linegroups, settings: config.acd.calls });
  acdCalls = acd;
  // Background work (config routes seeded into Redis, the line lease reaper) starts once the app is up.
  services.start();
  // FreeSWITCH's `socket` app connects here: cti_bridge / cti_dial calls (docs/bridge.md).
  // The nacd DID-out table, read by every dial path that leaves (src/nacd/did-out.ts).
  const didOut = (extension: string): ReturnType<typeof services.nacd.did.out.find> => services.nacd.did.out.find(extension);
  outbound = await startOutboundSockets({
    config,
    logger,
    metrics,
    policy,
    webhooks: services.webhooks,
    resolver: services.linegroups,
    didOut,
  });
  // ACD callers (freecti_queue, the `queue` action) on the same socket; agent legs go over the node pool.
  acd.attach(outbound.server);
  // nacd callflow calls (`nacd_group`, `nacd_did`, docs/nacd.md) on the same socket; its `queue` action enters the ACD.
  const nacdDeps: NacdSessionDeps = {
    webhooks: services.webhooks,
    logger,
    resolver: services.linegroups,
    registry: metrics.registry,
    policy,
    groups: services.nacd.groups,
    did: services.nacd.did,
    settings: config.nacd,
    queue: (session, request) => acd.calls.handleQueueSession(session, request),
  };
  detachNacd = attachNacd(outbound.server, nacdDeps);
  // Control-mode routes (docs/routing.md) drive their calls on the same outbound socket.
  releaseRoutingControl = attachRoutingControl(outbound.server, {
    config,
    logger,
    store: services.routes,
    webhooks: services.webhooks,
    policy,
    resolver: services.linegroups,
    registry: metrics.registry,
    didOut,
    queue: (session, request) => acd.calls.handleQueueSession(session, request),
    nacd: (session, group) => runNacdOnSession(session, nacdDeps, group),
  });

  logger.info(
    {
      url,
      redis: redactUrl(config.redis.url),
      nodes: config.freeswitch.nodes.map((n) => `${n.name}=${n.host}:${n.port}`),
    },
    'freecti listening; Redis and FreeSWITCH connect in the background (see /health)',
  );

  let stopping: Promise<void> | undefined;
  return {
    app,
    url,
    redis,
    pool,
    metrics,
    stop() {
      stopping ??= (async () => {
        logger.info('freecti stopping');
        await shutdown();
        logger.info('freecti stopped');
      })();
      return stopping;
    },
  };
}

/** Runs one shutdown step, bounded in time; a failure is logged, never thrown. */
async function step(logger: Logger, what: string, timeoutMs: number, run: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not close within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    logger.warn({ err: (error as Error).message }, `closing ${what} failed`);
  } finally {
    clearTimeout(timer);
  }
}

/** The version in package.json (one level above both src/ and dist/). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
