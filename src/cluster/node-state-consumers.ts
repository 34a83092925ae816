/**
 * One NodeStateConsumer per configured FreeSWITCH node (service wiring). Call it right
 * after the pool is created, before awaiting anything, so the subscriptions are in
 * place before the first handshake.
 */
import { createHash } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { FsPool } from '../esl/types.js';
import { keysFor } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import type { NodeLeaseState } from './node-lease.js';
import { NodeStateConsumer } from './node-state-consumer.js';

/** One node's lease as this instance knows it (shown by /health). */
export interface NodeLeaseInfo {
  state: NodeLeaseState;
  /** Who holds the lease, as a digest of its token (holderDigest); ours when `held`, null when `unknown`. */
  holder: string | null;
}

/** What /health needs to know about the leases (src/http/route-deps.ts). */
export interface NodeLeaseSource {
  /** By node name. */
  leases(): ReadonlyMap<string, NodeLeaseInfo>;
}

export interface NodeStateConsumers extends NodeLeaseSource {
  readonly consumers: readonly NodeStateConsumer[];
  /** Stops consuming and releases every lease this instance holds. */
  stop(): Promise<void>;
}

export function startNodeStateConsumers(deps: { pool: FsPool; redis: RedisClient; config: Config; logger: Logger; registry?: Registry }): NodeStateConsumers {
  const keys = keysFor(deps.config);
  const consumers = deps.pool.nodes.map(
    (node) => new NodeStateConsumer({ node, redis: deps.redis, keys, config: deps.config, logger: deps.logger }),
  );
  if (deps.registry !== undefined) registerMetrics(deps.registry, consumers);
  for (const consumer of consumers) {
    consumer.start().catch((error: unknown) => deps.logger.error({ err: (error as Error).message }, 'node state consumer did not start'));
  }
  const names = deps.pool.nodes.map((node) => node.name);
  return {
    consumers,
    leases() {
      return new Map(consumers.map((c, i) => [names[i] ?? '', { state: c.lease.state, holder: holderDigest(c.lease.holderId) }]));
    },
    async stop() {
      await Promise.all(consumers.map((c) => c.stop({ release: true })));
    },
  };
}

/** Queue length and drops per node, read from the consumers at each scrape. */
function registerMetrics(registry: Registry, consumers: readonly NodeStateConsumer[]): void {
  const registers = [registry];
  new Gauge({
    name: 'freecti_node_state_queue',
    help: 'Node events and reconciles waiting for Redis, per node (bounded by cluster.stateQueueMax).',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const c of consumers) this.set({ node: c.nodeName }, c.queuedCount);
    },
  });
  const seen = new Map<string, number>();
  new Counter({
    name: 'freecti_node_state_dropped_total',
    help: 'Node events not written to Redis and left to a reconcile: queue_full (Redis slow), lease_unknown (more than kept while the lease state was unknown).',
    labelNames: ['node', 'reason'],
    registers,
    collect() {
      for (const c of consumers) {
        for (const [reason, total] of [['queue_full', c.droppedQueue], ['lease_unknown', c.droppedPending]] as const) {
          const id = `${c.nodeName} ${reason}`;
          this.inc({ node: c.nodeName, reason }, Math.max(0, total - (seen.get(id) ?? 0)));
          seen.set(id, Math.max(total, seen.get(id) ?? 0));
        }
      }
    },
  });
}

/**
 * What /health shows of a lease holder: the first 16 hex digits of the SHA-256 of its
 * token. The token itself fences every state write, so it is never shown on an
 * unauthenticated endpoint; the digest still tells instances apart.
 */
export function holderDigest(token: string | null): string | null {
  return token === null ? null : createHash('sha256').update(token).digest('hex').slice(0, 16);
}
