/**
 * A lease in Redis per FreeSWITCH node: exactly one freecti instance consumes a node's
 * events at a time (docs/redis-keys.md, key `{freecti}:lease:<node>`).
 *
 * - acquire: `SET key token NX PX ttl`;
 * - renew every `renewIntervalMs`: lua/lease-renew-1.lua (only while the value is our token);
 * - release on shutdown: lua/lease-release-1.lua (the next instance takes over at once);
 * - a holder that dies stops renewing: the key expires after `ttlMs` and another
 *   instance acquires it on its next attempt (within ttl + one interval).
 * The first attempt is made as soon as the Redis client is ready (and again at once
 * after every reconnect), not one interval after start.
 * `state` says what this instance knows: `held` (we hold it), `other` (another instance
 * holds it: `holderId` is its token) or `unknown` (not asked yet, or Redis unreachable).
 * If renewing fails (Redis unreachable) for a whole ttl, the lease counts as lost
 * locally too. The state scripts check the token (fencing), so even a holder that
 * does not yet know it lost the lease cannot write.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import { runScript, type RedisClient } from '../lua-scripts.js';

export interface NodeLeaseOptions {
  redis: RedisClient;
  key: string;
  ttlMs: number;
  renewIntervalMs: number;
  logger: Logger;
  /** Defaults to 24 random bytes (hex). */
  token?: string;
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
  private holder = false;
  private lastRenewed = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private known: NodeLeaseState = 'unknown';
  private otherHolder: string | null = null;
  private readonly onRedisReady = (): void => {
    if (this.timer !== undefined && !this.stopped) this.ticking = this.ticking.then(() => this.tick());
  };

  constructor(private readonly options: NodeLeaseOptions) {
    super();
    if (options.renewIntervalMs >= options.ttlMs) throw new Error('lease renewIntervalMs must be shorter than ttlMs');
    this.token = options.token ?? randomBytes(24).toString('hex');
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
   * (and at once after every reconnect); then every renewIntervalMs.
   */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    const { redis } = this.options;
    redis.on('ready', this.onRedisReady);
    if (redis.status === 'ready') this.ticking = this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, this.options.renewIntervalMs);
  }

  /** One acquire-or-renew round (exposed for tests). */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const { redis, key, ttlMs, logger } = this.options;
    try {
      if (this.holder) {
        const renewed = Number(await runScript(redis, 'lease-renew', [key], [this.token, ttlMs]));
        if (renewed === 1) this.lastRenewed = Date.now();
        else this.lose('taken by another instance or expired');
      } else {
        const ok = await redis.set(key, this.token, 'PX', ttlMs, 'NX');
        if (this.stopped) return;
        if (ok === 'OK') {
          this.holder = true;
          this.lastRenewed = Date.now();
          this.known = 'held';
          logger.info({ leaseKey: key }, 'node lease acquired: this instance consumes the node');
          this.emit('acquired');
          this.emit('state', 'held');
        } else {
          // Who holds it? (null: it expired in between; the next attempt takes it.)
          const other = await redis.get(key);
          if (this.stopped) return;
          if (other === null || other === this.token) this.learn('unknown', null);
          else this.learn('other', other);
        }
      }
    } catch (error) {
      if (this.holder && Date.now() - this.lastRenewed >= ttlMs) this.lose(`not renewed for ${ttlMs} ms: ${(error as Error).message}`);
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
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking.catch(() => undefined);
    const held = this.holder;
    this.holder = false;
    if (held && options.release) {
      try {
        await runScript(this.options.redis, 'lease-release', [this.options.key], [this.token]);
      } catch (error) {
        this.options.logger.warn({ leaseKey: this.options.key, err: (error as Error).message }, 'node lease not released; it expires by itself');
      }
    }
    this.known = 'unknown';
    this.otherHolder = null;
    if (held) this.emit('lost');
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
    this.known = 'unknown';
    this.otherHolder = null;
    this.options.logger.warn({ leaseKey: this.options.key, reason }, 'node lease lost: this instance stops consuming the node');
    this.emit('lost');
    this.emit('state', 'unknown');
  }
}
