/**
 * The long-lived services of one freecti instance, built once (the composition root is
 * src/service.ts; buildApp builds them itself only when a test does not pass them):
 * the route store and its cache, the line-group resolver (with metrics) and its lease
 * reaper, the webhook Agent and client, the CLI keyring / access gate / audit log, the event hub,
 * the mod_xml_curl sections (directory on its own auto-pipelined Redis connection,
 * dialplan router). HTTP plugins and the outbound socket receive them; none builds its own.
 *
 * `createServices` only builds; `start()` begins the background work (route seeding once
 * Redis is ready, the lease reaper) and `close()` stops it and frees connections and pools.
 */
import { blockingRedis, duplicateRedis, type RedisClient } from './redis.js';
import { AcdService } from './acd/service.js';
import { NacdService } from './nacd/service.js';
import { NacdCommands } from './nacd/commands.js';
import { resolverDialer } from './originate/translate.js';
import type { Config } from './config/schema.js';
import { createDirectoryHandler } from './directory/handler.js';
import type { FsPool } from './esl/types.js';
import { EventHub } from './event-stream/hub.js';
import type { FsPolicy } from './fs-lang/policy.js';
import { createCliContext, type CliContext } from './cli-http/context.js';
import { keysFor, type Keys } from './keys.js';
import { attachLeaseReaper } from './linegroups/lease-reaper.js';
import { LinegroupResolver } from './linegroups/resolver.js';
import { CalloutService, decodeCalloutEvent, type CalloutEvent } from './callout/campaign.js';
import { StreamTail } from './event-stream/stream-tail.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { controlSocketAddress } from './routing/control-dialplan.js';
import { RouteStore } from './routing/route-store.js';
import { createDialplanRouter } from './routing/router.js';
import { createWebhookAgent } from './webhook/agent.js';
import { createWebhookClient } from './webhook/client.js';
import type { WebhookClient } from './webhook/types.js';
import { XmlCurlSections } from './xml-curl/sections.js';

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  pool: FsPool;
  metrics: Metrics;
  policy: FsPolicy;
  /** mod_xml_curl sections a test prepared; a section it already has is left alone. */
  xmlCurl?: XmlCurlSections;
}

export interface Services {
  readonly keys: Keys;
  /** The one route store (one cache: an admin PUT is seen by the dialplan and control mode). */
  readonly routes: RouteStore;
  /** The one line-group resolver (HTTP CLI, call control, cti_bridge, the reaper). */
  readonly linegroups: LinegroupResolver;
  /** The one webhook client (routing, control mode, cti_bridge). */
  readonly webhooks: WebhookClient;
  /** Keyring, access gate, audit log and linegroup dialer of /cli, call control and the event stream. */
  readonly cli: CliContext;
  readonly events: EventHub;
  /** mod_xml_curl section handlers (directory, dialplan). */
  readonly xmlCurl: XmlCurlSections;
  /** The ACD: engine, statistics, queue-log feed (docs/acd.md). */
  readonly acd: AcdService;
  /** The nacd callflow's groups (docs/nacd.md). */
  readonly nacd: NacdService;
  /** nwaycallout campaigns (docs/nacd.md "nwaycallout"). */
  readonly callouts: CalloutService;
  /** Tail of `{freecti:callout}:events`: every campaign's events to this instance's event hub. */
  readonly calloutEvents: StreamTail<CalloutEvent>;
  /** Starts background work: config routes seeded into Redis once ready, the lease reaper. Idempotent. */
  start(): void;
  /** Stops background work and closes connections and pools. Idempotent. */
  close(): Promise<void>;
}

export function createServices(deps: ServiceDeps): Services {
  const { config, logger, redis, pool, metrics, policy } = deps;
  const keys = keysFor(config);
  const routingLog = logger.child({ component: 'routing' });
  const routes = new RouteStore(redis, keys, routingLog, config.routing.cacheMs);
  const linegroups = new LinegroupResolver({ redis, keys, logger, registry: metrics.registry });
  // One undici Agent for every webhook origin: idle connections close, and an origin without
  // connections keeps no pool (src/webhook/agent.ts).
  const webhookAgent = createWebhookAgent(config.webhook);
  const webhooks = createWebhookClient({ dispatcher: webhookAgent, registry: metrics.registry, logger });
  const events = new EventHub(pool, logger.child({ component: 'event-stream' }), config.cli.eventStreamMaxBufferedBytes);
  const acd = new AcdService({ config, redis, keys, logger, hub: events, webhooks, registry: metrics.registry });
  const nacd = new NacdService(redis, keys, config.nacd, logger);
  const nacdCommands = new NacdCommands({
    acd: acd.engine,
    linegroups: linegroups.store,
    didOut: nacd.did.out,
    policy,
    socket: controlSocketAddress(config.eslOutbound.host, config.eslOutbound.port),
    dialLinegroup: resolverDialer(linegroups),
  });
  const cli = createCliContext({ config, logger, redis, pool, metrics, policy, keys, linegroups, nacd: nacdCommands });

  const callouts = new CalloutService({ redis, keys, pool, policy, logger, webhooks, resolver: linegroups, eventsMaxLen: config.nacd.calloutEventsMaxLen, socket: controlSocketAddress(config.eslOutbound.host, config.eslOutbound.port) });
  // Campaign events reach this instance's WebSocket clients from the stream, whichever instance runs the campaign.
  const calloutEventsRedis = blockingRedis(redis); // XREAD BLOCK outlives redis.commandTimeoutMs
  calloutEventsRedis.on('error', () => undefined); // the shared client logs Redis state changes
  const calloutEvents = new StreamTail<CalloutEvent>(calloutEventsRedis, logger.child({ component: 'callout' }), {
    key: keys.calloutEvents(),
    name: 'callout: event feed',
    decode: decodeCalloutEvent,
    publish: (event) => events.publishCallout(event),
  });

  const xmlCurl = deps.xmlCurl ?? new XmlCurlSections();
  let directoryRedis: RedisClient | undefined;
  if (!xmlCurl.has('directory')) {
    // A connection of its own with auto-pipelining: concurrent lookups share one write
    // to Redis (docs/performance.md, "Directory"). Same options as the shared client.
    directoryRedis = duplicateRedis(redis, { enableAutoPipelining: true });
    directoryRedis.on('error', () => undefined); // state changes are logged by the shared client
    xmlCurl.register('directory', createDirectoryHandler({ redis: directoryRedis, keys, config, logger: logger.child({ component: 'xml-curl' }) }));
  }
  if (config.routing.enabled && !xmlCurl.has('dialplan')) {
    const router = createDialplanRouter({
      store: routes,
      webhooks,
      logger,
      registry: metrics.registry,
      publicContext: config.fsConfig.publicContext,
      policy,
      controlSocket: controlSocketAddress(config.eslOutbound.host, config.eslOutbound.port),
      // A reply's bridge that leaves shows the caller's DID-out caller id (src/routing/did-out.ts).
      didOut: (extension) => nacd.did.out.find(extension),
    });
    xmlCurl.register('dialplan', (req) => router.route(req));
  }

  let started = false;
  let closed = false;
  let detachReaper: (() => void) | undefined;
  const onReady = (): void => void seed();
  let seeded = false;
  // The client has no offline queue: a command sent before it is 'ready' fails at once. So
  // seed once it is ready (at start it is still connecting); only a failure of a ready
  // client is worth a warning, and is retried at the next 'ready'.
  const seed = async (): Promise<void> => {
    if (seeded || closed || config.routing.routes.length === 0) return;
    if (redis.status !== 'ready') {
      redis.once('ready', onReady);
      return;
    }
    try {
      const added = await routes.seed(config.routing.routes);
      seeded = true;
      routingLog.info({ added, configured: config.routing.routes.length }, 'routes from the config seeded into Redis');
    } catch (error) {
      routingLog.warn({ err: (error as Error).message }, 'cannot seed routes into Redis; retrying when Redis is ready again');
      redis.once('ready', onReady);
    }
  };

  return {
    keys,
    routes,
    linegroups,
    webhooks,
    cli,
    events,
    xmlCurl,
    acd,
    nacd,
    callouts,
    calloutEvents,
    start() {
      if (started || closed) return;
      started = true;
      detachReaper = attachLeaseReaper(pool, linegroups, logger);
      void seed();
      acd.start();
      nacd.start();
      callouts.startSweeping();
      calloutEvents.start();
    },
    async close() {
      if (closed) return;
      closed = true;
      redis.off('ready', onReady);
      detachReaper?.();
      await callouts.close();
      await calloutEvents.close();
      calloutEventsRedis.disconnect();
      await acd.close();
      nacd.close();
      events.close();
      directoryRedis?.disconnect();
      await webhooks.close();
      await webhookAgent.close().catch(() => undefined);
    },
  };
}
