/**
 * Prometheus metrics (prom-client), one registry per service instance so that tests
 * never share state. `GET /metrics` serves `registry`. Features add their own metrics
 * with `registers: [metrics.registry]`; names start with `freecti_`.
 *
 * FreeSWITCH node and Redis metrics are read at scrape time from the objects given to
 * `observePool` / `observeRedis`: NodeStatus is the single source of truth, so the ESL
 * pool needs no metrics hook (reconnects come from NodeStatus.reconnects).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RedisClient } from './redis.js';
import type { FsPool, NodeState } from './esl/types.js';

export type HttpLabels = 'method' | 'route' | 'status_code';

export interface Metrics {
  readonly registry: Registry;
  /** Request duration in seconds, observed by the app for every response. */
  readonly httpDuration: Histogram<HttpLabels>;
  /** Read node states from this pool at each scrape. */
  observePool(pool: FsPool): void;
  /** Read the Redis connection state at each scrape. */
  observeRedis(redis: RedisClient): void;
}

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop, GC). Default true. */
  defaultMetrics?: boolean;
  version?: string;
}

const NODE_STATES: readonly NodeState[] = ['connecting', 'authenticating', 'ready', 'disconnected', 'auth-failed', 'closed'];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  let pool: FsPool | undefined;
  let redis: RedisClient | undefined;
  const registers = [registry];

  new Gauge({
    name: 'freecti_info',
    help: 'Always 1; the label carries the freecti version.',
    labelNames: ['version'],
    registers,
    collect() {
      this.set({ version: options.version ?? 'unknown' }, 1);
    },
  });

  new Gauge({
    name: 'freecti_esl_node_up',
    help: '1 when the inbound event-socket connection to the node is ready, else 0.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const s of pool?.statuses() ?? []) this.set({ node: s.name }, s.state === 'ready' ? 1 : 0);
    },
  });

  new Gauge({
    name: 'freecti_esl_node_state',
    help: '1 for the current state of each node connection, 0 for the other states.',
    labelNames: ['node', 'state'],
    registers,
    collect() {
      this.reset();
      for (const s of pool?.statuses() ?? []) {
        for (const state of NODE_STATES) this.set({ node: s.name, state }, s.state === state ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'freecti_esl_in_flight',
    help: 'ESL commands sent to the node and not answered yet.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const s of pool?.statuses() ?? []) this.set({ node: s.name }, s.inFlight);
    },
  });

  const seenReconnects = new Map<string, number>();
  new Counter({
    name: 'freecti_esl_reconnects_total',
    help: 'Reconnections of the inbound event-socket connection, per node.',
    labelNames: ['node'],
    registers,
    collect() {
      for (const s of pool?.statuses() ?? []) {
        const delta = s.reconnects - (seenReconnects.get(s.name) ?? 0);
        if (delta > 0) this.inc({ node: s.name }, delta);
        else this.inc({ node: s.name }, 0);
        seenReconnects.set(s.name, Math.max(s.reconnects, seenReconnects.get(s.name) ?? 0));
      }
    },
  });

  new Gauge({
    name: 'freecti_redis_up',
    help: '1 when the Redis connection is ready, else 0.',
    registers,
    collect() {
      this.set(redis?.status === 'ready' ? 1 : 0);
    },
  });

  const httpDuration = new Histogram<HttpLabels>({
    name: 'freecti_http_request_duration_seconds',
    help: 'HTTP request duration (route = the route pattern, or "unmatched").',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  return {
    registry,
    httpDuration,
    observePool(p) {
      pool = p;
    },
    observeRedis(r) {
      redis = r;
    },
  };
}
