/**
 * A lease in Redis per FreeSWITCH node: exactly one freecti instance consumes a node's
 * events at a time (docs/redis-keys.md, key `{freecti}:lease:<node>`).
 *
 * - acquire: `SET key token NX PX ttl`;
 * - renew every `renewIntervalMs`: lua/lease-renew-1.lua (only while the value is our token);
 * - release on shutdown: lua/lease-release-1.lua (the next instance takes over at once);
 * - a holder that dies stops renewing: the key expires after `ttlMs` and another
 *   instance acquires it on its next attempt (within ttl + one interval).
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

export interface NodeLeaseEvents {
  acquired: [];
  lost: [];
}

export class NodeLease extends EventEmitter<NodeLeaseEvents> {
  readonly token: string;
  private holder = false;
  private lastRenewed = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: NodeLeaseOptions) {
    super();
    if (options.renewIntervalMs >= options.ttlMs) throw new Error('lease renewIntervalMs must be shorter than ttlMs');
    this.token = options.token ?? randomBytes(24).toString('hex');
  }

  get isHolder(): boolean {
    return this.holder;
  }

  /** Tries at once, then every renewIntervalMs. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.ticking = this.tick();
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
        if (ok === 'OK' && !this.stopped) {
          this.holder = true;
          this.lastRenewed = Date.now();
          logger.info({ leaseKey: key }, 'node lease acquired: this instance consumes the node');
          this.emit('acquired');
        }
      }
    } catch (error) {
      if (this.holder && Date.now() - this.lastRenewed >= ttlMs) this.lose(`not renewed for ${ttlMs} ms: ${(error as Error).message}`);
    }
  }

  /**
   * Stops renewing. `release: true` (shutdown) deletes the lease when we hold it;
   * `release: false` simulates a crash (the lease expires by itself).
   */
  async stop(options: { release: boolean } = { release: true }): Promise<void> {
    this.stopped = true;
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
    if (held) this.emit('lost');
  }

  private lose(reason: string): void {
    if (!this.holder) return;
    this.holder = false;
    this.options.logger.warn({ leaseKey: this.options.key, reason }, 'node lease lost: this instance stops consuming the node');
    this.emit('lost');
  }
}
