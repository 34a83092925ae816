/**
 * The shared Redis client: one server (`redis.url`), a Sentinel-managed master
 * (`redis.sentinels` + `redis.name`) or a Redis Cluster (`redis.cluster` seed nodes).
 * It never gives up: it reconnects forever with exponential backoff and jitter, logs
 * state changes (not every failed attempt), and remembers the last error for /health.
 * While Redis is down, commands fail at once (no offline queue), and a command that gets
 * no answer within `redis.commandTimeoutMs` fails too (a hung server), so that HTTP
 * callers get FREECTI_ERR_REDIS_UNAVAILABLE instead of hanging.
 *
 * With Sentinel the client asks the sentinels for the master, follows a failover at once
 * (+switch-master) and reconnects when the server it writes to answers READONLY (an old
 * master turned replica); the command is sent again to the new master.
 *
 * `redis.keyPrefix` is NOT applied by the client: key names are built in one place by
 * each feature (see docs/architecture.md), so Lua scripts see the real names.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { FreectiError } from './errors.js';
import type { Config } from './config/schema.js';
import { keysFor } from './keys.js';
import type { Logger } from './logger.js';
import { keySlot } from './redis-slot.js';

/** A client of one server / Sentinel master, or of a Redis Cluster. */
export type RedisClient = Redis | Cluster;

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

const trackers = new WeakMap<RedisClient, Tracker>();

const INITIAL_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;
/** Repeat the same failure in the log at most this often. */
const REPEAT_LOG_MS = 60_000;

/** Exponential backoff with jitter, capped; never `null` (which would stop retrying). */
export function redisRetryDelay(times: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, INITIAL_DELAY_MS * 2 ** Math.min(Math.max(times - 1, 0), 16));
  return Math.round(base / 2 + (random() * base) / 2);
}

export function createRedis(config: Config, logger: Logger): RedisClient {
  const log = logger.child({ component: 'redis' });
  const { url, sentinels, name, sentinelPassword, cluster, commandTimeoutMs } = config.redis;
  const common = {
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    commandTimeout: commandTimeoutMs,
  } satisfies RedisOptions;
  let redis: RedisClient;
  if (cluster !== undefined) {
    assertClusterKeys(config);
    const auth = new URL(url);
    const clusterOptions: ClusterOptions = {
      clusterRetryStrategy: (times) => redisRetryDelay(times),
      enableOfflineQueue: false,
      lazyConnect: false,
      redisOptions: {
        ...common,
        ...(auth.username === '' ? {} : { username: decodeURIComponent(auth.username) }),
        ...(auth.password === '' ? {} : { password: decodeURIComponent(auth.password) }),
        ...(auth.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    };
    redis = new Cluster(cluster.map((node) => ({ host: node.host, port: node.port })), clusterOptions as ConstructorParameters<typeof Cluster>[1]);
  } else {
    const options: RedisOptions = {
      ...common,
      retryStrategy: (times) => redisRetryDelay(times),
      enableOfflineQueue: false,
      lazyConnect: false,
    };
    if (sentinels !== undefined) {
      Object.assign(options, {
        sentinels: sentinels.map((node) => ({ host: node.host, port: node.port })),
        name,
        role: 'master',
        failoverDetector: true,
        sentinelRetryStrategy: (times: number) => redisRetryDelay(times),
        // An old master turned replica answers READONLY: reconnect (the sentinels name the new master) and send again.
        reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 2 : false),
        ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
      } satisfies RedisOptions);
    }
    redis = new Redis(url, options as RedisOptions & { replyMapping: 'legacy' });
  }
  guardSocketErrors(redis);
  watchRedis(redis, log, describe(config));
  return redis;
}

/**
 * Redis Cluster runs a script only when all its keys are in one slot. freecti's own keys
 * follow the seed keys they change together with (src/keys.ts); the seed lists are
 * named by the operator, so in Cluster mode a configured list must be in the slot of
 * its hash (docs/operations.md, "Redis Cluster"). Checked before connecting.
 */
export function assertClusterKeys(config: Pick<Config, 'redis' | 'gui'>): void {
  const keys = keysFor(config);
  for (const [section, settings] of [['registration', config.gui.registration], ['call', config.gui.call]] as const) {
    if (settings.list === '') continue;
    const hash = keys.named(settings.hash);
    const list = keys.named(settings.list);
    if (keySlot(hash) !== keySlot(list)) {
      throw new FreectiError(
        'CONFIG_INVALID',
        `config gui.${section}.list: with redis.cluster, '${list}' must be in the Redis Cluster slot of '${hash}' (give both the same hash tag, e.g. '{${settings.hash}}' in the list name)`,
      );
    }
  }
}

/**
 * True for the errors that mean "Redis did not answer" rather than "Redis refused":
 * connection closed or not open, command timeout, a server loading, a replica (READONLY),
 * a cluster that is down, moving slots or not reachable at all.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof FreectiError) return error.key === 'REDIS_UNAVAILABLE';
  const message = error.message;
  return (
    message === 'Command timed out' ||
    message === 'Connection is closed.' ||
    message.startsWith("Stream isn't writeable") ||
    message.startsWith('Reached the max retries per request') ||
    message.startsWith('Failed to refresh slots cache') ||
    message.startsWith('None of startup nodes is available') ||
    message.startsWith('Cluster isn') ||
    /^(READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/.test(message) ||
    error.name === 'ClusterAllFailedError' ||
    error.name === 'MaxRetriesPerRequestError'
  );
}

/** A Redis error that means "not reachable" becomes FREECTI_ERR_REDIS_UNAVAILABLE; any other is returned as it is. */
export function redisError(error: unknown): unknown {
  if (error instanceof FreectiError || !isRedisUnavailable(error)) return error;
  return new FreectiError('REDIS_UNAVAILABLE', undefined, { cause: error, details: { reason: (error as Error).message } });
}

/**
 * A second connection with the same settings (and `options`, e.g. auto-pipelining) to
 * the same server, Sentinel master or Cluster. The caller closes it.
 */
export function duplicateRedis(redis: RedisClient, options: Pick<RedisOptions, 'enableAutoPipelining'>): RedisClient {
  return guardSocketErrors(redis instanceof Cluster ? redis.duplicate(undefined, options) : redis.duplicate(options));
}

/** How long past its own BLOCK a blocking read may stay unanswered before it fails (a hung server). */
const BLOCKING_GRACE_MS = 5_000;

/**
 * A second connection for blocking reads (XREAD BLOCK, BLPOP...). `redis.commandTimeoutMs`
 * would fail every read that blocks longer than it, so this connection has none; ioredis
 * bounds each blocking command by its own BLOCK time plus a grace instead, and one that
 * blocks for ever by `BLOCKING_GRACE_MS`. The caller closes it.
 */
export function blockingRedis(redis: RedisClient): RedisClient {
  const blocking = { commandTimeout: undefined, blockingTimeout: BLOCKING_GRACE_MS, blockingTimeoutGrace: BLOCKING_GRACE_MS } satisfies RedisOptions;
  if (redis instanceof Cluster) {
    const redisOptions = { ...redis.options.redisOptions, ...blocking } as ClusterOptions['redisOptions'];
    return guardSocketErrors(redis.duplicate(undefined, { redisOptions } as Parameters<Cluster['duplicate']>[1]));
  }
  return guardSocketErrors(redis.duplicate(blocking));
}

/**
 * ioredis listens for a socket's first 'error' only (`stream.once`). A socket that fails
 * twice as Redis goes away (write EPIPE, then read ECONNRESET) would throw the second as an
 * uncaught exception and stop the process. Each new socket of the client therefore gets a
 * listener of its own; ioredis has already seen the first error and reconnects.
 */
export function guardSocketErrors(redis: RedisClient): RedisClient {
  const guard = (client: Redis): void => {
    client.on('connect', () => {
      const stream = (client as unknown as { stream?: NodeJS.EventEmitter }).stream;
      if (stream !== undefined && !guarded.has(stream)) {
        guarded.add(stream);
        stream.on('error', () => undefined);
      }
    });
  };
  if (redis instanceof Cluster) redis.on('+node', guard);
  else guard(redis);
  return redis;
}

const guarded = new WeakSet<object>();

/** Attaches the state tracker (idempotent). Done by createRedis; exported for tests. */
export function watchRedis(redis: RedisClient, log: Logger, where = describeClient(redis)): void {
  if (trackers.has(redis)) return;
  const tracker: Tracker = { lastError: undefined, since: Date.now(), up: redis.status === 'ready' };
  trackers.set(redis, tracker);
  let lastLogged = { message: '', at: 0 };
  redis.on('ready', () => {
    if (!tracker.up) tracker.since = Date.now();
    tracker.up = true;
    tracker.lastError = undefined;
    lastLogged = { message: '', at: 0 };
    log.info({ redis: where }, 'redis ready');
  });
  redis.on('error', (error: Error) => {
    tracker.lastError = error.message;
    const now = Date.now();
    if (error.message !== lastLogged.message || now - lastLogged.at >= REPEAT_LOG_MS) {
      lastLogged = { message: error.message, at: now };
      log.warn({ redis: where, err: error.message }, 'redis unavailable, retrying with backoff');
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
export async function redisHealth(redis: RedisClient, timeoutMs = 1_000): Promise<RedisHealth> {
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
export function assertRedisReady(redis: RedisClient): void {
  if (redis.status !== 'ready') {
    throw new FreectiError('REDIS_UNAVAILABLE', undefined, { details: { status: redis.status } });
  }
}

/**
 * Closes the client: QUIT when connected, otherwise just stops reconnecting. A Sentinel
 * client also closes its subscriptions to the sentinels (failover detection), which QUIT
 * alone leaves reconnecting.
 */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    try {
      await redis.quit();
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

/** Where the client connects, for logs: the URL (password hidden), the sentinels or the cluster seed nodes. */
function describe(config: Config): string {
  const { url, sentinels, name, cluster } = config.redis;
  const list = (nodes: readonly { host: string; port: number }[]): string => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (cluster !== undefined) return `cluster ${list(cluster)}`;
  if (sentinels !== undefined) return `sentinel master '${name ?? ''}' via ${list(sentinels)}`;
  return redactUrl(url);
}

function describeClient(redis: RedisClient): string {
  if (redis instanceof Cluster) return 'cluster';
  const { host, port, tls } = redis.options;
  return `${tls === undefined ? 'redis' : 'rediss'}://${host ?? '127.0.0.1'}:${port ?? 6379}`;
}
