import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { NodeLeaseInfo, NodeLeaseSource } from '../../src/cluster/node-state-consumers.js';
import { loadConfig } from '../../src/config/load.js';
import { FreectiError } from '../../src/errors.js';
import type { FsPool, NodeStatus } from '../../src/esl/types.js';
import { buildApp } from '../../src/http/app.js';
import type { HealthReport } from '../../src/http/routes/health.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { closeRedis, createRedis, type RedisClient } from '../../src/redis.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

function status(name: string, state: NodeStatus['state'], extra: Partial<NodeStatus> = {}): NodeStatus {
  return { name, host: '127.0.0.1', port: 8021, state, lastError: undefined, since: Date.UTC(2026, 0, 1), reconnects: 0, inFlight: 0, ...extra };
}

/** Only what /health and /metrics use; nodes are not needed. */
function fakePool(statuses: () => NodeStatus[]): FsPool {
  return {
    nodes: [],
    get() {
      throw new FreectiError('ESL_NOT_CONNECTED');
    },
    statuses,
    async close() {},
  };
}

const apps: FastifyInstance[] = [];
// Feature plugins may hold timers or connections until their app is closed.
after(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

function appWith(redis: RedisClient, statuses: () => NodeStatus[], leases?: NodeLeaseSource): FastifyInstance {
  const config = loadConfig({});
  const logger = createLogger('silent');
  const metrics = createMetrics({ defaultMetrics: true, version: '9.9.9-test' });
  const pool = fakePool(statuses);
  metrics.observePool(pool);
  metrics.observeRedis(redis);
  const app = buildApp({ config, logger, redis, pool, metrics, version: '9.9.9-test', ...(leases === undefined ? {} : { leases }) });
  apps.push(app);
  return app;
}

describe('/health and /metrics with a real Redis', () => {
  let server: TestRedis;
  let redis: RedisClient;

  before(async () => {
    server = await startRedis();
    redis = createRedis(loadConfig({ REDIS_URL: server.url }), createLogger('silent'));
    await waitFor(() => redis.status === 'ready');
  });

  after(async () => {
    await closeRedis(redis);
    await server.stop();
  });

  test('Redis up, every node ready: 200 ok', async () => {
    const app = appWith(redis, () => [status('fs1', 'ready', { reconnects: 2, inFlight: 1 })]);
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json<HealthReport>();
    assert.equal(body.status, 'ok');
    assert.equal(body.ready, true);
    assert.equal(body.version, '9.9.9-test');
    assert.equal(body.redis.state, 'up');
    assert.equal(body.redis.lastError, null);
    assert.equal(typeof body.redis.latencyMs, 'number');
    assert.deepEqual(body.freeswitch, {
      ready: 1,
      total: 1,
      nodes: [{ name: 'fs1', host: '127.0.0.1', port: 8021, state: 'ready', lastError: null, since: '2026-01-01T00:00:00.000Z', reconnects: 2, inFlight: 1, ready: true }],
    });
    await app.close();
  });

  test('one node of two down: 200 degraded, with the node error', async () => {
    const app = appWith(redis, () => [status('fs1', 'ready'), status('fs2', 'disconnected', { lastError: 'connect ECONNREFUSED 127.0.0.1:8021' })]);
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json<HealthReport>();
    assert.equal(body.status, 'degraded');
    assert.equal(body.ready, true);
    assert.equal(body.freeswitch.ready, 1);
    assert.equal(body.freeswitch.nodes[1]?.lastError, 'connect ECONNREFUSED 127.0.0.1:8021');
  });

  test('no node ready: 503 with the full report', async () => {
    const app = appWith(redis, () => [status('fs1', 'auth-failed', { lastError: 'invalid password' })]);
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 503);
    const body = res.json<HealthReport>();
    assert.equal(body.status, 'degraded');
    assert.equal(body.ready, false);
    assert.equal(body.redis.state, 'up');
    assert.equal(body.freeswitch.nodes[0]?.state, 'auth-failed');
  });

  test('lease state per node: unknown is not ready (503), held or held by another instance is ready', async () => {
    const leases = new Map<string, NodeLeaseInfo>([
      ['fs1', { state: 'unknown', holder: null }],
      ['fs2', { state: 'unknown', holder: null }],
    ]);
    const app = appWith(redis, () => [status('fs1', 'ready'), status('fs2', 'ready')], { leases: () => leases });
    let res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 503);
    let body = res.json<HealthReport>();
    assert.equal(body.ready, false);
    assert.equal(body.freeswitch.ready, 0);
    assert.deepEqual(body.freeswitch.nodes.map((n) => [n.state, n.ready, n.lease]), [
      ['ready', false, { state: 'unknown', holder: null }],
      ['ready', false, { state: 'unknown', holder: null }],
    ]);

    leases.set('fs1', { state: 'held', holder: 'token-me' });
    res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    body = res.json<HealthReport>();
    assert.equal(body.status, 'degraded', 'fs2 is not ready yet');
    assert.equal(body.freeswitch.ready, 1);
    assert.deepEqual(body.freeswitch.nodes[0]?.lease, { state: 'held', holder: 'token-me' });

    leases.set('fs2', { state: 'other', holder: 'token-other' });
    res = await app.inject({ method: 'GET', url: '/health' });
    body = res.json<HealthReport>();
    assert.equal(res.statusCode, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.freeswitch.ready, 2);
    assert.deepEqual(body.freeswitch.nodes[1]?.lease, { state: 'other', holder: 'token-other' });

    // A node the lease source does not know: unknown.
    leases.delete('fs2');
    res = await app.inject({ method: 'GET', url: '/health' });
    assert.deepEqual(res.json<HealthReport>().freeswitch.nodes[1]?.lease, { state: 'unknown', holder: null });
  });

  test('a pool that throws still gets an answer', async () => {
    const app = appWith(redis, () => {
      throw new Error('boom');
    });
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json<HealthReport>().freeswitch.total, 0);
  });

  test('/health/live is always 200', async () => {
    const app = appWith(redis, () => []);
    const res = await app.inject({ method: 'GET', url: '/health/live' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'alive' });
  });

  test('/metrics: node gauges, reconnects, redis, http durations, process metrics', async () => {
    let reconnects = 3;
    const app = appWith(redis, () => [status('fs1', 'ready', { reconnects }), status('fs2', 'disconnected', { inFlight: 4 })]);
    await app.inject({ method: 'GET', url: '/health' });
    let res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    const text = res.body;
    assert.match(text, /^freecti_esl_node_up\{node="fs1"\} 1$/m);
    assert.match(text, /^freecti_esl_node_up\{node="fs2"\} 0$/m);
    assert.match(text, /^freecti_esl_node_state\{node="fs2",state="disconnected"\} 1$/m);
    assert.match(text, /^freecti_esl_node_state\{node="fs2",state="ready"\} 0$/m);
    assert.match(text, /^freecti_esl_in_flight\{node="fs2"\} 4$/m);
    assert.match(text, /^freecti_esl_reconnects_total\{node="fs1"\} 3$/m);
    assert.match(text, /^freecti_esl_reconnects_total\{node="fs2"\} 0$/m);
    assert.match(text, /^freecti_redis_up 1$/m);
    assert.match(text, /^freecti_info\{version="9\.9\.9-test"\} 1$/m);
    assert.match(text, /^freecti_http_request_duration_seconds_count\{method="GET",route="\/health",status_code="200"\} 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    reconnects = 5;
    res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.match(res.body, /^freecti_esl_reconnects_total\{node="fs1"\} 5$/m);
  });

  test('/openapi.json documents /health, /health/live, /metrics, /openapi.json', async () => {
    const app = appWith(redis, () => []);
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json<{ openapi: string; info: { version: string }; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>();
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, '9.9.9-test');
    for (const path of ['/health', '/health/live', '/metrics', '/openapi.json']) assert.ok(doc.paths[path]?.['get'], `${path} is documented`);
    assert.ok(doc.components.schemas['Error']);
    assert.ok(doc.components.schemas['HealthReport']);
    const again = await appWith(redis, () => []).inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(again.statusCode, 200, 'a second app documents its routes again without conflict');
  });

  test('Redis goes down: /health says so and still answers', async () => {
    const app = appWith(redis, () => [status('fs1', 'ready')]);
    const closed = once(redis, 'close');
    await server.stop();
    await closed;
    const started = Date.now();
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.ok(Date.now() - started < 2_000, 'answers at once');
    assert.equal(res.statusCode, 503);
    const body = res.json<HealthReport>();
    assert.equal(body.status, 'degraded');
    assert.equal(body.ready, false);
    assert.equal(body.redis.state, 'down');
    assert.notEqual(body.redis.status, 'ready');
    assert.equal(typeof body.redis.lastError, 'string');
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /^freecti_redis_up 0$/m);
  });
});

test('/health when Redis was never reachable', async () => {
  const redis = createRedis(loadConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), createLogger('silent'));
  try {
    await waitFor(() => redis.status === 'reconnecting');
    const app = appWith(redis, () => [status('fs1', 'connecting')]);
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 503);
    const body = res.json<HealthReport>();
    assert.equal(body.redis.state, 'down');
    assert.match(body.redis.lastError ?? '', /ECONNREFUSED/);
    await app.close();
  } finally {
    await closeRedis(redis);
  }
});
