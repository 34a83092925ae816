/**
 * Writes one FreeSWITCH node's registration and call state to Redis, while this
 * instance holds the node's lease:
 * - subscribes to sofia::register / sofia::unregister / sofia::expire and
 *   CHANNEL_CREATE / CHANNEL_ANSWER / CHANNEL_HANGUP_COMPLETE;
 * - applies events one at a time, in arrival order (a queue per node); the queue holds at
 *   most `cluster.stateQueueMax` writes: while Redis is slow, further events are dropped
 *   (counted in `droppedQueue`, logged) until one reconcile queued behind the backlog
 *   starts, so the state is restored from FreeSWITCH once Redis caught up;
 * - reconciles (`show registrations as json`, `show channels as json`) when it acquires
 *   the lease and after every ESL reconnect, so that nothing missed meanwhile survives;
 * - while it does not yet know who holds the lease (just started, Redis not ready yet or
 *   unreachable), keeps up to `pendingMax` events (default PENDING_MAX) in arrival order
 *   and applies them, then reconciles, once it acquires the lease; past that bound the
 *   oldest are dropped (counted in `droppedPending`) and the reconcile restores the state;
 * - when another instance holds the lease, drops the events (and what it kept): the
 *   holder writes them.
 * A write Redis does not answer (down, timed out, failing over to a replica: the write
 * may or may not have happened) is not repeated: the node is marked stale (as when events
 * are dropped) and reconciled as soon as Redis answers again (retried with backoff), and
 * again after every Redis reconnect, since a master that failed over may have lost writes
 * it acknowledged. A reconcile is idempotent, so nothing is written twice (the PUBLISH
 * channel and list carry the events whose writes succeeded; a reconcile does not repeat them).
 * Every write carries the lease token; Redis refuses it when another instance holds
 * the lease (FREECTI_NOT_LEASE_HOLDER), so no event is written twice.
 * FreeSWITCH sends sofia::unregister / sofia::expire before the row leaves
 * `show registrations`: a reconcile skips what was removed recently (REMOVED_TTL_MS in
 * src/registrations/registration-store.ts) and, when it skipped a row, runs once more
 * after that time to settle on what FreeSWITCH then reports.
 */
import { CallStore } from '../calls/call-store.js';
import type { Config } from '../config/schema.js';
import { isFreectiError } from '../errors.js';
import type { EslEvent } from '../esl/event.js';
import type { FsNode } from '../esl/types.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import { isRedisUnavailable } from '../redis.js';
import { RegistrationStore } from '../registrations/registration-store.js';
import { NodeLease, type LeaseClock } from './node-lease.js';

/** Events kept while the lease state is unknown (docs/operations.md, "Several instances"). */
export const PENDING_MAX = 1000;

export const STATE_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE', 'CUSTOM sofia::register sofia::unregister sofia::expire'];

export interface NodeStateConsumerOptions {
  node: FsNode;
  redis: RedisClient;
  keys: Keys;
  config: Pick<Config, 'gui' | 'cluster'>;
  logger: Logger;
  /** For tests: a fixed lease token. */
  leaseToken?: string;
  /** For tests: how long removed registrations are remembered (default REMOVED_TTL_MS). */
  removedTtlMs?: number;
  /** Events kept while the lease state is unknown (default PENDING_MAX). */
  pendingMax?: number;
  /** For tests: the lease's clock. */
  leaseClock?: LeaseClock;
}

export class NodeStateConsumer {
  readonly lease: NodeLease;
  readonly registrations: RegistrationStore;
  readonly calls: CallStore;
  /** Events written by this instance (tests and metrics). */
  written = 0;
  /** Events kept before the lease state was known and dropped because there were more than pendingMax. */
  droppedPending = 0;
  /** Events dropped because `cluster.stateQueueMax` writes were already waiting (Redis slow). */
  droppedQueue = 0;
  /** The most tasks (writes and reconciles) that were queued at once. */
  maxQueued = 0;
  /** Tasks queued or running. */
  private queued = 0;
  /** Events were dropped and no reconcile has started since (it failed, or is yet to come). */
  private stale = false;
  /** A reconcile queued because of drops has not started yet. */
  private catchUpQueued = false;
  /** The catch-up armed after a write Redis did not answer, and its backoff (ms, 0 = Redis answered since). */
  private redisRetry: NodeJS.Timeout | undefined;
  private redisRetryMs = 0;
  /** Events received while the lease state is unknown, applied once this instance holds it. */
  private pending: EslEvent[] = [];
  private queue: Promise<void> = Promise.resolve();
  /** The reconcile that follows one that skipped recently removed rows. */
  private settle: NodeJS.Timeout | undefined;
  /** Aborted by stop(): a reconcile waiting for a node that never connected ends at once. */
  private readonly stopping = new AbortController();
  private readonly log: Logger;
  private readonly onEvent = (event: EslEvent): void => {
    const state = this.lease.state;
    if (state === 'held') this.offer(event);
    else if (state === 'unknown') this.keep(event);
    // 'other': the holder writes it.
  };
  private readonly onReady = (): void => {
    if (this.lease.isHolder) this.enqueue(() => this.reconcile());
  };
  /** Redis (re)connected: a master that failed over may have lost acknowledged writes. */
  private readonly onRedisReady = (): void => {
    if (!this.lease.isHolder) return;
    this.stale = true;
    this.catchUp();
  };

  constructor(private readonly options: NodeStateConsumerOptions) {
    const { node, redis, keys, config, logger } = options;
    this.log = logger.child({ component: 'node-state', node: node.name });
    this.registrations = new RegistrationStore(redis, keys, config.gui.registration, options.removedTtlMs);
    this.calls = new CallStore(redis, keys, config.gui.call);
    this.lease = new NodeLease({
      redis,
      key: keys.nodeLease(node.name),
      copies: keys.nodeLeaseCopies(node.name),
      ttlMs: config.cluster.leaseTtlMs,
      renewIntervalMs: config.cluster.renewIntervalMs,
      logger: this.log,
      ...(options.leaseToken === undefined ? {} : { token: options.leaseToken }),
      ...(options.leaseClock === undefined ? {} : { clock: options.leaseClock }),
    });
    this.lease.on('acquired', () => {
      // What arrived before we knew, in arrival order, then what FreeSWITCH reports now.
      const kept = this.pending;
      this.pending = [];
      for (const event of kept) this.offer(event);
      this.enqueue(() => this.reconcile());
    });
    this.lease.on('state', (state) => {
      if (state === 'other' && this.pending.length > 0) {
        this.log.info({ events: this.pending.length }, 'another instance holds the node lease: it writes the events kept meanwhile');
        this.pending = [];
      }
    });
  }

  /** How many events wait for the lease state (tests and /health). */
  get pendingCount(): number {
    return this.pending.length;
  }

  get nodeName(): string {
    return this.options.node.name;
  }

  /** Writes and reconciles queued or running (tests, metrics). */
  get queuedCount(): number {
    return this.queued;
  }

  /**
   * Queues the write of an event, unless `stateQueueMax` tasks are already waiting (Redis
   * is slow): then the event is dropped and a reconcile is queued behind the backlog. Once
   * one event is dropped, every later one is too until that reconcile starts: the events
   * applied after a reconcile must be all those that came after it started, with no gap (an
   * event queued behind it, e.g. a CHANNEL_CREATE whose CHANNEL_HANGUP_COMPLETE was dropped
   * before it started, would otherwise bring back a call the reconcile had rightly removed).
   */
  private offer(event: EslEvent): void {
    const max = this.options.config.cluster.stateQueueMax;
    if (this.stale || this.queued >= max) {
      this.droppedQueue++;
      this.stale = true;
      if (this.droppedQueue === 1 || this.droppedQueue % max === 0) {
        this.log.warn({ dropped: this.droppedQueue, queued: this.queued, max }, 'Redis is slow: node events dropped; the node is reconciled once Redis caught up');
      }
    } else this.enqueue(() => this.write(event));
    this.catchUp();
  }

  /**
   * Queues one reconcile when the state is stale (events dropped, or writes Redis did not
   * answer): the one task allowed past the bound; everything missed so far happened
   * before it asks FreeSWITCH, so its answer covers it.
   */
  private catchUp(): void {
    if (!this.stale || this.catchUpQueued) return;
    this.catchUpQueued = true;
    this.enqueue(async () => {
      this.catchUpQueued = false;
      this.stale = false;
      try {
        await this.reconcile();
        this.redisRetryMs = 0;
      } catch (error) {
        this.stale = true; // the next event (or the Redis retry) queues another one
        throw error;
      }
    });
  }

  /** A write or reconcile Redis did not answer: reconcile once it answers again (backoff 250 ms .. 5 s). */
  private redisFailed(message: string): void {
    this.stale = true;
    if (this.redisRetry !== undefined) return;
    if (this.redisRetryMs === 0) this.log.warn({ err: message }, 'Redis did not answer a node state write; the node is reconciled once Redis answers');
    this.redisRetryMs = this.redisRetryMs === 0 ? 250 : Math.min(this.redisRetryMs * 2, 5_000);
    this.redisRetry = setTimeout(() => {
      this.redisRetry = undefined;
      this.catchUp();
    }, this.redisRetryMs);
    this.redisRetry.unref();
  }

  private keep(event: EslEvent): void {
    const max = this.options.pendingMax ?? PENDING_MAX;
    this.pending.push(event);
    if (this.pending.length > max) {
      this.pending.shift();
      this.droppedPending++;
      if (this.droppedPending === 1 || this.droppedPending % max === 0) {
        this.log.warn({ dropped: this.droppedPending, max }, 'lease state unknown for long: oldest kept events dropped; the reconcile on acquiring the lease restores the state');
      }
    }
  }

  async start(): Promise<void> {
    const { node } = this.options;
    node.on('event', this.onEvent);
    node.on('ready', this.onReady);
    this.options.redis.on('ready', this.onRedisReady);
    await node.subscribe(STATE_EVENTS);
    this.lease.start();
  }

  /** Shutdown: stop consuming and release the lease. `release: false` simulates a crash. */
  async stop(options: { release: boolean } = { release: true }): Promise<void> {
    this.options.node.off('event', this.onEvent);
    this.options.node.off('ready', this.onReady);
    this.options.redis.off('ready', this.onRedisReady);
    this.stopping.abort();
    this.pending = [];
    clearTimeout(this.settle);
    clearTimeout(this.redisRetry);
    await this.lease.stop(options);
    await this.queue;
    // A reconcile still queued may have scheduled another one.
    clearTimeout(this.settle);
    this.settle = undefined;
    clearTimeout(this.redisRetry);
    this.redisRetry = undefined;
  }

  /** Resolves when every queued write is done (tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(task: () => Promise<void>): void {
    this.queued++;
    if (this.queued > this.maxQueued) this.maxQueued = this.queued;
    this.queue = this.queue
      .then(task)
      .catch((error: unknown) => {
        const message = (error as Error).message;
        if (message.includes('FREECTI_NOT_LEASE_HOLDER')) this.log.warn('write refused: another instance holds the node lease');
        else if (this.stopping.signal.aborted) this.log.debug({ err: message }, 'node state task ended by shutdown');
        else if (isFreectiError(error) && error.key.startsWith('ESL_')) this.log.warn({ err: message }, 'reconcile deferred until the node is connected');
        else if (isRedisUnavailable(error)) this.redisFailed(message);
        else this.log.error({ err: message }, 'node state write failed');
      })
      .finally(() => {
        this.queued--;
      });
  }

  private async write(event: EslEvent): Promise<void> {
    if (!this.lease.isHolder) return;
    const node = this.options.node.name;
    const fence = { token: this.lease.token };
    const name = event.name;
    let done = false;
    if (name === 'CUSTOM') {
      const applied = await this.registrations.apply(node, event, Date.now(), fence);
      done = applied !== undefined;
      // An unregister/expire that matched no contact we know: ask FreeSWITCH what is left.
      if (applied !== undefined && applied.kind !== 'register' && applied.removed === 0) this.enqueue(() => this.reconcile());
    }
    else if (name === 'CHANNEL_CREATE' || name === 'CHANNEL_ANSWER' || name === 'CHANNEL_HANGUP_COMPLETE') {
      done = (await this.calls.apply(node, event, fence)) !== undefined;
    }
    if (done) this.written++;
  }

  /** Replaces this node's state with what FreeSWITCH reports. */
  async reconcile(): Promise<void> {
    if (!this.lease.isHolder || this.stopping.signal.aborted) return;
    const { node } = this.options;
    const fence = { token: this.lease.token };
    const signal = this.stopping.signal;
    const registrations = await node.api('show', 'registrations as json', { signal });
    const regs = await this.registrations.reconcile(node.name, registrations, fence);
    const channels = await node.api('show', 'channels as json', { signal });
    const calls = await this.calls.reconcile(node.name, channels, fence);
    this.log.info({ registrations: regs, calls }, 'node state reconciled with FreeSWITCH');
    if (regs.skipped > 0 && this.settle === undefined) {
      this.settle = setTimeout(() => {
        this.settle = undefined;
        this.enqueue(() => this.reconcile());
      }, this.registrations.removedTtlMs + 1000);
      this.settle.unref();
    }
  }
}
