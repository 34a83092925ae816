/**
 * The ACD of one freecti instance, built once by src/services.ts: the engine (with its
 * own subscriber connection for the wake channel), the statistics, the queue-log feed to
 * the WebSocket hub (own blocking connection), signed webhooks of the events this
 * instance writes, Prometheus gauges, and the seeding of `acd.queues` / `acd.agents`.
 */
import { Cluster } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { EventHub } from '../event-stream/hub.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import { FreectiError } from '../errors.js';
import { blockingRedis, duplicateRedis } from '../redis.js';
import { keySlot } from '../redis-slot.js';
import type { WebhookClient } from '../webhook/types.js';
import { parseAgent, parseQueue } from './config.js';
import { AcdEngine } from './engine.js';
import { AcdEventFeed } from './event-feed.js';
import { registerAcdMetrics } from './metrics.js';
import { AcdStats } from './stats.js';
import { AcdStatsFeed } from './stats-feed.js';
import type { AcdClock } from './types.js';

export interface AcdServiceDeps {
  config: Config;
  redis: RedisClient;
  keys: Keys;
  logger: Logger;
  hub: EventHub;
  webhooks: WebhookClient;
  registry: Registry;
  clock?: AcdClock;
}

export class AcdService {
  readonly engine: AcdEngine;
  readonly stats: AcdStats;
  private readonly subscriber: RedisClient;
  private readonly feedRedis: RedisClient;
  private readonly feed: AcdEventFeed;
  private readonly statsFeed: AcdStatsFeed;
  private readonly log: Logger;
  private started = false;
  private closed = false;
  private markStarted: () => void = () => undefined;
  /** Resolves once seeding is done and the engine runs (tests and the call half wait for it). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.markStarted = resolve));

  constructor(private readonly deps: AcdServiceDeps) {
    const { config, redis, keys } = deps;
    const registrations = keys.named(config.gui.registration.hash);
    if (redis instanceof Cluster && config.acd.requireRegistration && keySlot(registrations) !== keySlot(keys.acdQueues())) {
      // The dispatch script reads the registrations hash beside the ACD keys (docs/acd.md, "Redis keys").
      throw new FreectiError(
        'CONFIG_INVALID',
        `config acd.requireRegistration: with redis.cluster, '${registrations}' must be in the slot of the ACD keys ({freecti:acd}): name it '{freecti:acd}${config.gui.registration.hash}', or set acd.requireRegistration to false`,
      );
    }
    this.log = deps.logger.child({ component: 'acd' });
    this.subscriber = duplicateRedis(redis, {});
    this.subscriber.on('error', () => undefined); // the shared client logs Redis state changes
    this.feedRedis = blockingRedis(redis); // XREAD BLOCK outlives redis.commandTimeoutMs
    this.feedRedis.on('error', () => undefined);
    this.engine = new AcdEngine({
      redis,
      keys,
      logger: this.log,
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      registrationsHash: config.acd.requireRegistration ? registrations : null,
      registrationField: config.gui.registration.field,
      offerGraceSec: config.acd.offerGraceSec,
      logMaxLen: config.acd.logMaxLen,
      subscriber: this.subscriber,
    });
    this.stats = new AcdStats(redis, keys, this.engine.clock);
    this.statsFeed = new AcdStatsFeed(redis, keys, this.stats, (name) => this.engine.getQueue(name), deps.hub, this.log);
    this.feed = new AcdEventFeed(this.feedRedis, keys, this.log, (event) => {
      deps.hub.publishAcd(event);
      this.statsFeed.onEvent(event);
    });
    const { webhookUrl, webhookSecret } = config.acd;
    if (webhookUrl !== null) {
      this.engine.onEvent((event) => {
        deps.webhooks.notify({
          url: webhookUrl,
          method: 'POST',
          json: { source: 'acd', ...event },
          requestId: `${event.id}`,
          ...(webhookSecret === null ? {} : { secret: webhookSecret }),
        });
      });
    }
    registerAcdMetrics(deps.registry, this.stats, () => this.engine.listQueues(), () => redis.hkeys(keys.acdAgents()));
  }

  /**
   * Once Redis is ready: seeds the configured queues/agents (existing ones are kept: REST
   * changes win), starts the engine (runs the timers already due) and the feed. A failure
   * is logged and retried at the next 'ready'. Idempotent.
   */
  start(): void {
    if (this.started || this.closed) return;
    void this.attempt();
  }

  private readonly onReady = (): void => void this.attempt();

  private async attempt(): Promise<void> {
    if (this.started || this.closed) return;
    const { redis } = this.deps;
    for (const client of [redis, this.subscriber]) {
      if (client.status !== 'ready') {
        client.once('ready', this.onReady);
        return;
      }
    }
    try {
      await this.seed();
      await this.engine.start();
      this.started = true;
      this.feed.start();
      this.markStarted();
    } catch (error) {
      if (this.closed) return; // closed while starting: nothing to retry
      this.log.warn({ err: (error as Error).message }, 'acd: cannot start (seeding or timers); retrying when Redis is ready again');
      redis.once('ready', this.onReady);
    }
  }

  private async seed(): Promise<void> {
    const { queues, agents } = this.deps.config.acd;
    for (const { name, tiers: _tiers, ...settings } of queues) {
      if ((await this.engine.getQueue(name)) !== null) continue;
      const q = parseQueue(name, settings);
      if (q.ok) await this.engine.putQueue(q.value);
    }
    for (const { id, state, ...settings } of agents) {
      if ((await this.engine.getAgent(id)) !== null) continue;
      const a = parseAgent(id, settings);
      if (!a.ok) continue;
      await this.engine.putAgent(a.value);
      if (state !== undefined && state !== 'logged-out') await this.engine.setAgentState(id, state);
    }
    for (const q of queues) {
      const existing = new Set((await this.engine.tiers(q.name)).map((t) => t.agent));
      for (const t of q.tiers) if (!existing.has(t.agent)) await this.engine.putTier(q.name, t.agent, t.level, t.position);
    }
    this.log.info({ queues: queues.length, agents: agents.length }, 'acd: config queues and agents seeded (existing ones kept)');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deps.redis.off('ready', this.onReady);
    this.subscriber.off('ready', this.onReady);
    await this.feed.close();
    this.statsFeed.close();
    await this.engine.close();
    this.subscriber.disconnect();
    this.feedRedis.disconnect();
  }
}
