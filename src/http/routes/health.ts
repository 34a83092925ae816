/**
 * Operational endpoints: `GET /health`, `GET /health/live`, `GET /metrics`.
 *
 * /health always answers, whatever is down, with the full report. Its HTTP status
 * tells a load balancer whether this instance can serve calls:
 * - a node is ready when its ESL connection is ready AND this instance knows who holds
 *   its lease (`lease.state` `held` by this instance or `other`: held by the instance
 *   `lease.holder`); while the lease state is `unknown` (just started, Redis not ready)
 *   the node is not ready, its events are kept and written once the lease is held
 *   (src/cluster/node-state-consumer.ts). Without lease information (apps built
 *   without node state consumers) only the ESL state counts;
 * - `ready` = Redis is up AND at least one FreeSWITCH node is ready → 200;
 * - otherwise 503 (same body), so a load balancer in front of several freecti
 *   instances sends traffic to the ones that can work.
 * `status` is `ok` when Redis and every node are up, `degraded` otherwise.
 * /health/live answers 200 as long as the process serves HTTP (for liveness probes:
 * restarting freecti does not bring a dependency back).
 */
import type { AppPlugin } from '../route-deps.js';
import type { NodeLeaseInfo } from '../../cluster/node-state-consumers.js';
import type { NodeStatus } from '../../esl/types.js';
import { redisHealth } from '../../redis.js';
import { errorResponse } from '../openapi.js';

export interface HealthNode {
  name: string;
  host: string;
  port: number;
  state: NodeStatus['state'];
  lastError: string | null;
  since: string;
  reconnects: number;
  inFlight: number;
  /** ESL ready and (when leases are known to /health) the lease state known. */
  ready: boolean;
  /** Present when the service runs node state consumers. */
  lease?: NodeLeaseInfo;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  ready: boolean;
  version: string;
  uptimeSeconds: number;
  redis: { state: 'up' | 'down'; status: string; lastError: string | null; since: string; latencyMs?: number };
  freeswitch: { ready: number; total: number; nodes: HealthNode[] };
}

const startedAt = Date.now();

export const healthRoutes: AppPlugin = async (app, deps) => {
  const { openapi } = deps;
  openapi.addTag('operations', 'Health and metrics');
  const report = openapi.addSchema('HealthReport', healthSchema());
  openapi.addPath('/health', 'get', {
    summary: 'State of Redis and of every FreeSWITCH node',
    description:
      '200 when Redis is up and at least one FreeSWITCH node is ready (`ready: true`), 503 otherwise; the body is the same. ' +
      'A node is ready when its ESL connection is ready and this instance knows who holds its lease (`lease.state` not `unknown`). ' +
      '`status` is `ok` only when Redis and every node are up.',
    operationId: 'getHealth',
    tags: ['operations'],
    responses: {
      '200': { description: 'This instance can serve', content: { 'application/json': { schema: report } } },
      '503': { description: 'Redis is down or no FreeSWITCH node is ready', content: { 'application/json': { schema: report } } },
    },
  });
  openapi.addPath('/health/live', 'get', {
    summary: 'Liveness: 200 while the process serves HTTP',
    operationId: 'getLiveness',
    tags: ['operations'],
    responses: { '200': { description: 'Alive', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'alive' } } } } } } },
  });
  openapi.addPath('/metrics', 'get', {
    summary: 'Prometheus metrics (text exposition format)',
    operationId: 'getMetrics',
    tags: ['operations'],
    responses: {
      '200': { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
      '500': errorResponse('Metrics could not be collected'),
    },
  });

  app.get('/health', async (_request, reply) => {
    const body = await buildReport(deps);
    return reply.status(body.ready ? 200 : 503).send(body);
  });

  app.get('/health/live', async () => ({ status: 'alive' }));

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
};

async function buildReport(deps: Parameters<AppPlugin>[1]): Promise<HealthReport> {
  const redis = await redisHealth(deps.redis);
  let statuses: NodeStatus[];
  try {
    statuses = deps.pool.statuses();
  } catch (error) {
    deps.logger.error({ err: error }, 'pool.statuses() failed');
    statuses = [];
  }
  let leases: ReadonlyMap<string, NodeLeaseInfo> | undefined;
  try {
    leases = deps.leases?.leases();
  } catch (error) {
    deps.logger.error({ err: error }, 'leases() failed');
    leases = new Map();
  }
  const nodes = statuses.map((s): HealthNode => {
    const lease = leases === undefined ? undefined : (leases.get(s.name) ?? { state: 'unknown', holder: null });
    return {
      name: s.name,
      host: s.host,
      port: s.port,
      state: s.state,
      lastError: s.lastError ?? null,
      since: new Date(s.since).toISOString(),
      reconnects: s.reconnects,
      inFlight: s.inFlight,
      ready: s.state === 'ready' && (lease === undefined || lease.state !== 'unknown'),
      ...(lease === undefined ? {} : { lease }),
    };
  });
  const readyNodes = nodes.filter((n) => n.ready).length;
  const redisUp = redis.state === 'up';
  return {
    status: redisUp && nodes.length > 0 && readyNodes === nodes.length ? 'ok' : 'degraded',
    ready: redisUp && readyNodes > 0,
    version: deps.version,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    redis: {
      state: redis.state,
      status: redis.status,
      lastError: redis.lastError ?? null,
      since: new Date(redis.since).toISOString(),
      ...(redis.latencyMs === undefined ? {} : { latencyMs: redis.latencyMs }),
    },
    freeswitch: { ready: readyNodes, total: nodes.length, nodes },
  };
}

function healthSchema(): Record<string, unknown> {
  const nullableString = { type: ['string', 'null'] };
  return {
    type: 'object',
    required: ['status', 'ready', 'version', 'uptimeSeconds', 'redis', 'freeswitch'],
    properties: {
      status: { enum: ['ok', 'degraded'], description: '`ok` when Redis and every node are up' },
      ready: { type: 'boolean', description: 'Redis up and at least one node ready (HTTP 200); else HTTP 503' },
      version: { type: 'string' },
      uptimeSeconds: { type: 'integer' },
      redis: {
        type: 'object',
        required: ['state', 'status', 'lastError', 'since'],
        properties: {
          state: { enum: ['up', 'down'] },
          status: { type: 'string', description: 'ioredis connection status' },
          lastError: nullableString,
          since: { type: 'string', format: 'date-time', description: 'when the current state began' },
          latencyMs: { type: 'number', description: 'PING round trip, when up' },
        },
      },
      freeswitch: {
        type: 'object',
        required: ['ready', 'total', 'nodes'],
        properties: {
          ready: { type: 'integer' },
          total: { type: 'integer' },
          nodes: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'host', 'port', 'state', 'lastError', 'since', 'reconnects', 'inFlight', 'ready'],
              properties: {
                name: { type: 'string' },
                host: { type: 'string' },
                port: { type: 'integer' },
                state: { enum: ['connecting', 'authenticating', 'ready', 'disconnected', 'auth-failed', 'closed'] },
                lastError: nullableString,
                since: { type: 'string', format: 'date-time' },
                reconnects: { type: 'integer' },
                inFlight: { type: 'integer' },
                ready: { type: 'boolean', description: 'ESL ready and the lease state known' },
                lease: {
                  type: 'object',
                  required: ['state', 'holder'],
                  description: "The node's lease as this instance knows it (absent without node state consumers)",
                  properties: {
                    state: { enum: ['held', 'other', 'unknown'], description: '`held` by this instance, `other` instance, or `unknown` (not ready)' },
                    holder: { ...nullableString, description: "who holds the lease: the first 16 hex digits of the SHA-256 of its lease token (never the token)" },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
