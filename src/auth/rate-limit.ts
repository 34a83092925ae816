/**
 * Per-key rate limit: a fixed one-minute window counted in Redis
 * (`{freecti}:cli:rate:<keyId>:<minute>`, INCR + PEXPIRE in one MULTI), so the
 * limit holds across every freecti instance behind a load balancer. While Redis is
 * unreachable each instance counts alone in memory (the limit then holds per
 * instance) instead of refusing every call.
 */
import type { RedisClient } from '../redis.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';

const WINDOW_MS = 60_000;

export interface RateDecision {
  allowed: boolean;
  count: number;
  /** Seconds until the window resets. */
  retryAfterSeconds: number;
  /** Where the count came from. */
  scope: 'redis' | 'local';
}

export class RateLimiter {
  private readonly local = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly redis: RedisClient | undefined,
    private readonly keys: Keys,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(keyId: string, perMinute: number): Promise<RateDecision> {
    const now = this.now();
    const window = Math.floor(now / WINDOW_MS);
    const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    if (perMinute <= 0) return { allowed: true, count: 0, retryAfterSeconds, scope: 'local' };
    let count: number | undefined;
    if (this.redis !== undefined && this.redis.status === 'ready') {
      try {
        const key = this.keys.cliRate(keyId, window);
        const result = await this.redis.multi().incr(key).pexpire(key, WINDOW_MS * 2).exec();
        const incr = result?.[0];
        if (incr !== undefined && incr[0] === null) count = Number(incr[1]);
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'CLI rate limit: Redis failed, counting per instance');
      }
    }
    if (count === undefined) return { ...this.hitLocal(keyId, window, perMinute), retryAfterSeconds, scope: 'local' };
    return { allowed: count <= perMinute, count, retryAfterSeconds, scope: 'redis' };
  }

  private hitLocal(keyId: string, window: number, perMinute: number): { allowed: boolean; count: number } {
    const slot = this.local.get(keyId);
    const current = slot !== undefined && slot.window === window ? slot : { window, count: 0 };
    current.count++;
    this.local.set(keyId, current);
    return { allowed: current.count <= perMinute, count: current.count };
  }
}
