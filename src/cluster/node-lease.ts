/**
 * A lease in Redis per FreeSWITCH node: exactly one freecti instance consumes a node's
 * events at a time (docs/redis-keys.md, key `{registrations}:freecti:lease:<node>`, with
 * copies of the token in `copies`: `{calls}:freecti:lease:<node>`).
 *
 * - acquire: `SET key token NX PX ttl`;
 * - renew: lua/lease-renew-1.lua (only while the value is our token);
 * - release on shutdown: lua/lease-release-1.lua (the next instance takes over at once);
 * - a holder that dies stops renewing: the key expires after `ttlMs` and another
 *   instance acquires it on its next attempt (within ttl + one interval).
 * Rounds (acquire or renew) never overlap: the next one is scheduled `renewIntervalMs`
 * after the previous one finished, so a slow Redis never piles up commands.
 * The first attempt is made as soon as the Redis client is ready (and again at once
 * after every reconnect), not one interval after start.
 * `state` says what this instance knows: `held` (we hold it), `other` (another instance
 * holds it: `holderId` is its token) or `unknown` (not asked yet, or Redis unreachable).
 * Local expiry: when the last successful renewal was sent more than `ttlMs - margin`
 * ago (expiryMarginMs), the lease counts as lost at once, on a timer of its own,
 * without waiting for a Redis that hangs: Redis set the key's expiry no earlier than
 * that renewal was sent, so this instance stops consuming before another one can take
 * the lease. The state scripts check the token (fencing), so even a holder that does not
 * yet know it lost the lease cannot write. A lease lost that way whose key still holds
 * our token (Redis answered late) is taken back by the next round.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import { runScript, type RedisClient } from '../lua-scripts.js';

/** The timers and time the lease runs on (tests inject a manual clock). */
export interface LeaseClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: LeaseClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

/**
 * How long before the ttl a holder without a successful renewal gives the lease up:
 * a tenth of the ttl, but less than half of what separates two renewals from the ttl
 * (a healthy holder renews long before).
 */
export function expiryMarginMs(ttlMs: number, renewIntervalMs: number): number {
  return Math.floor(Math.min(ttlMs / 10, (ttlMs - renewIntervalMs) / 2));
}

export interface NodeLeaseOptions {
  redis: RedisClient;
  key: string;
  ttlMs: number;
  renewIntervalMs: number;
  logger: Logger;
  /** Defaults to 24 random bytes (hex). */
  token?: string;
  /**
   * Keys that get a copy of the token with the same TTL after every acquire and renewal
   * (and are released with the lease): the fence of state kept in another Redis Cluster
   * slot than `key` (src/keys.ts, nodeLeaseCopies).
   */
  copies?: readonly string[];
  /** Defaults to the system clock. */
  clock?: LeaseClock;
}

export type NodeLeaseState = 'held' | 'other' | 'unknown';

export interface NodeLeaseEvents {
  acquired: [];
  lost: [];
  /** Emitted whenever `state` or `holderId` changes. */
  state: [state: NodeLeaseState];
}

export class NodeLease extends EventEmitter<NodeLeaseEvents> {
  readonly token: string;
  private readonly clock: LeaseClock;
  private readonly marginMs: number;
  private holder = false;
  /** When the last successful acquire/renew was sent (clock time). */
  private lastRenewed = 0;
  private started = false;
  private stopped = false;
  /** The round in flight, if any. */
  private round: Promise<void> | undefined;
  /** Another round is wanted as soon as the one in flight ends (Redis became ready). */
  private again = false;
  private next: unknown;
  private expiry: unknown;
  private known: NodeLeaseState = 'unknown';
  private otherHolder: string | null = null;
  private readonly onRedisReady = (): void => this.runNow();

  constructor(private readonly options: NodeLeaseOptions) {
    super();
    if (options.renewIntervalMs >= options.ttlMs) throw new Error('lease renewIntervalMs must be shorter than ttlMs');
    this.token = options.token ?? randomBytes(24).toString('hex');
    this.clock = options.clock ?? systemClock;
    this.marginMs = expiryMarginMs(options.ttlMs, options.renewIntervalMs);
  }

  get isHolder(): boolean {
    return this.holder;
  }

  /** What this instance knows about the lease (see the file comment). */
  get state(): NodeLeaseState {
    return this.holder ? 'held' : this.known;
  }

  /** The token of the instance that holds the lease (ours when `held`), null when unknown. */
  get holderId(): string | null {
    if (this.holder) return this.token;
    return this.known === 'other' ? this.otherHolder : null;
  }

  /**
   * Tries at once when the Redis client is ready, otherwise as soon as it becomes ready
   * (and at once after every reconnect); then renewIntervalMs after each round ends.
   */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const { redis } = this.options;
    redis.on('ready', this.onRedisReady);
    if (redis.status === 'ready') this.runNow();
    else this.schedule();
  }

  /** Resolves when the round in flight (if any) has ended (tests). */
  async idle(): Promise<void> {
    while (this.round !== undefined) await this.round;
  }

  /** One acquire-or-renew round (exposed for tests; `start()` runs them itself). */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const { redis, key, ttlMs, logger } = this.options;
    const sentAt = this.clock.now();
    try {
      if (this.holder) {
        const renewed = Number(await runScript(redis, 'lease-renew', [key], [this.token, ttlMs]));
        if (this.stopped || !this.holder) return; // lost meanwhile (local expiry): the next round asks again
        if (renewed === 1) await this.copy();
        if (this.stopped || !this.holder) return;
        if (renewed === 1) this.renewed(sentAt);
        else this.lose('taken by another instance or expired');
      } else {
        const ok = await redis.set(key, this.token, 'PX', ttlMs, 'NX');
        if (this.stopped) return;
        if (ok === 'OK') await this.copy();
        if (this.stopped) return;
        if (ok === 'OK') return this.acquired(sentAt);
        // Who holds it? (null: it expired in between; the next attempt takes it.)
        const other = await redis.get(key);
        if (this.stopped) return;
        if (other === this.token) {
          // Still ours (we gave it up locally while Redis was slow): take it back.
          const renewed = Number(await runScript(redis, 'lease-renew', [key], [this.token, ttlMs]));
          if (renewed === 1) await this.copy();
          if (this.stopped) return;
          if (renewed === 1) return this.acquired(sentAt);
          this.learn('unknown', null);
        } else if (other === null) this.learn('unknown', null);
        else this.learn('other', other);
        logger.trace({ leaseKey: key, state: this.known }, 'node lease not acquired');
      }
    } catch (error) {
      if (this.holder && this.clock.now() - this.lastRenewed >= ttlMs - this.marginMs) this.lose(`not renewed for ${ttlMs - this.marginMs} ms: ${(error as Error).message}`);
      else if (!this.holder) this.learn('unknown', null);
    }
  }

  /**
   * Stops renewing. `release: true` (shutdown) deletes the lease when we hold it;
   * `release: false` simulates a crash (the lease expires by itself).
   */
  async stop(options: { release: boolean } = { release: true }): Promise<void> {
    this.stopped = true;
    this.options.redis.off('ready', this.onRedisReady);
    this.clock.clearTimeout(this.next);
    this.clock.clearTimeout(this.expiry);
    this.next = undefined;
    this.expiry = undefined;
    await this.round?.catch(() => undefined);
    const held = this.holder;
    this.holder = false;
    if (held && options.release) {
      try {
        for (const copy of this.options.copies ?? []) await runScript(this.options.redis, 'lease-release', [copy], [this.token]);
        await runScript(this.options.redis, 'lease-release', [this.options.key], [this.token]);
      } catch (error) {
        this.options.logger.warn({ leaseKey: this.options.key, err: (error as Error).message }, 'node lease not released; it expires by itself');
      }
    }
    this.known = 'unknown';
    this.otherHolder = null;
    if (held) this.emit('lost');
  }

  /** Writes the token to the copies (we hold the lease: it was just acquired or renewed). */
  private async copy(): Promise<void> {
    for (const copy of this.options.copies ?? []) await this.options.redis.set(copy, this.token, 'PX', this.options.ttlMs);
  }

  /** Runs a round now, or right after the one in flight. */
  private runNow(): void {
    if (!this.started || this.stopped) return;
    if (this.round !== undefined) {
      this.again = true;
      return;
    }
    this.clock.clearTimeout(this.next);
    this.next = undefined;
    const round = this.tick().finally(() => {
      this.round = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.runNow();
      } else this.schedule();
    });
    this.round = round;
  }

  private schedule(): void {
    this.clock.clearTimeout(this.next);
    this.next = this.clock.setTimeout(() => {
      this.next = undefined;
      this.runNow();
    }, this.options.renewIntervalMs);
  }

  private acquired(sentAt: number): void {
    this.holder = true;
    this.known = 'held';
    this.renewed(sentAt);
    this.options.logger.info({ leaseKey: this.options.key }, 'node lease acquired: this instance consumes the node');
    this.emit('acquired');
    this.emit('state', 'held');
  }

  /** A renewal sent at `sentAt` succeeded: the lease is ours until sentAt + ttl at the earliest. */
  private renewed(sentAt: number): void {
    this.lastRenewed = sentAt;
    this.armExpiry();
  }

  private armExpiry(): void {
    this.clock.clearTimeout(this.expiry);
    const limit = this.options.ttlMs - this.marginMs;
    const remaining = this.lastRenewed + limit - this.clock.now();
    this.expiry = this.clock.setTimeout(() => {
      this.expiry = undefined;
      if (!this.holder || this.stopped) return;
      if (this.clock.now() - this.lastRenewed >= limit) this.lose(`no successful renewal for ${limit} ms (Redis slow or unreachable)`);
      else this.armExpiry();
    }, Math.max(0, remaining));
  }

  private learn(state: 'other' | 'unknown', holderId: string | null): void {
    if (this.known === state && this.otherHolder === holderId) return;
    this.known = state;
    this.otherHolder = holderId;
    this.emit('state', state);
  }

  private lose(reason: string): void {
    if (!this.holder) return;
    this.holder = false;
    this.clock.clearTimeout(this.expiry);
    this.expiry = undefined;
    this.known = 'unknown';
    this.otherHolder = null;
    this.options.logger.warn({ leaseKey: this.options.key, reason }, 'node lease lost: this instance stops consuming the node');
    this.emit('lost');
    this.emit('state', 'unknown');
  }
}
