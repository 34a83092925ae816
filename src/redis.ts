/**
 * The shared Redis client. It never gives up: it reconnects forever with exponential
 * backoff and jitter, logs state changes (not every failed attempt), and remembers the
 * last error for /health. While Redis is down, commands fail at once (no offline
 * queue) so that HTTP callers get FREECTI_ERR_REDIS_UNAVAILABLE instead of hanging.
 *
 * `redis.keyPrefix` is NOT applied by the client: key names are built in one place by
 * each feature (see docs/architecture.md), so Lua scripts see the real names.
 */
import { Redis } from 'ioredis';
import { FreectiError } from './errors.js';
import type { Config } from './config/schema.js';
import type { Logger } from './logger.js';

export type RedisState = 'up' | 'down';

export interface RedisHealth {
  state: RedisState;
  /** ioredis connection status (`ready`, `connecting`, `reconnecting`, ...). */
  status: string;
  lastError: string | undefined;
  /** When the current state began (ms since epoch). */
  since: number;
  /** Round trip of a PING made for this report, when Redis is up. */
  latencyMs?: number;
}

interface Tracker {
  lastError: string | undefined;
  since: number;
  up: boolean;
}

const trackers = new WeakMap<Redis, Tracker>();

const INITIAL_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;
/** Repeat the same failure in the log at most this often. */
const REPEAT_LOG_MS = 60_000;

/** Exponential backoff with jitter, capped; never `null` (which would stop retrying). */
export function redisRetryDelay(times: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, INITIAL_DELAY_MS * 2 ** Math.min(Math.max(times - 1, 0), 16));
  return Math.round(base / 2 + (random() * base) / 2);
}

export function createRedis(config: Config, logger: Logger): Redis {
  const log = logger.child({ component: 'redis' });
  const redis = new Redis(config.redis.url, {
    retryStrategy: (times) => redisRetryDelay(times),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    lazyConnect: false,
  });
  watchRedis(redis, log);
  return redis;
}

/** Attaches the state tracker (idempotent). Done by createRedis; exported for tests. */
export function watchRedis(redis: Redis, log: Logger): void {
  if (trackers.has(redis)) return;
  const tracker: Tracker = { lastError: undefined, since: Date.now(), up: redis.status === 'ready' };
  trackers.set(redis, tracker);
  let lastLogged = { message: '', at: 0 };
  redis.on('ready', () => {
    if (!tracker.up) tracker.since = Date.now();
    tracker.up = true;
    tracker.lastError = undefined;
    lastLogged = { message: '', at: 0 };
    log.info({ url: redisUrl(redis) }, 'redis ready');
  });
  redis.on('error', (error: Error) => {
    tracker.lastError = error.message;
    const now = Date.now();
    if (error.message !== lastLogged.message || now - lastLogged.at >= REPEAT_LOG_MS) {
      lastLogged = { message: error.message, at: now };
      log.warn({ url: redisUrl(redis), err: error.message }, 'redis unavailable, retrying with backoff');
    }
  });
  redis.on('close', () => {
    if (tracker.up) {
      tracker.up = false;
      tracker.since = Date.now();
      log.warn('redis connection closed, reconnecting');
    }
  });
}

/** State for /health: the connection status, then a PING bounded by `timeoutMs`. */
export async function redisHealth(redis: Redis, timeoutMs = 1_000): Promise<RedisHealth> {
  const tracker = trackers.get(redis) ?? { lastError: undefined, since: Date.now(), up: false };
  const down = (error: string | undefined): RedisHealth => ({
    state: 'down',
    status: redis.status,
    lastError: error ?? tracker.lastError ?? `connection ${redis.status}`,
    since: tracker.up ? Date.now() : tracker.since,
  });
  if (redis.status !== 'ready') return down(undefined);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`PING timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([redis.ping(), timeout]);
    return { state: 'up', status: redis.status, lastError: undefined, since: tracker.since, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return down((error as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws FREECTI_ERR_REDIS_UNAVAILABLE unless the client is connected. */
export function assertRedisReady(redis: Redis): void {
  if (redis.status !== 'ready') {
    throw new FreectiError('REDIS_UNAVAILABLE', undefined, { details: { status: redis.status } });
  }
}

/** Closes the client: QUIT when connected, otherwise just stops reconnecting. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through to disconnect
    }
  }
  redis.disconnect(false);
}

/** `redis://user:secret@host` → `redis://user:***@host`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}

function redisUrl(redis: Redis): string {
  const { host, port, tls } = redis.options;
  return `${tls === undefined ? 'redis' : 'rediss'}://${host ?? '127.0.0.1'}:${port ?? 6379}`;
}
