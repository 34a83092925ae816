/**
 * nwaycallout over REST: admin key, validation, a campaign started through the real
 * services (composition root) dials the fake FreeSWITCH and its state reads back by GET;
 * DELETE stops it; the API is in the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createServices } from '../../src/services.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = 'admin-key-0123456789abcdef';
const auth = { 'x-api-key': ADMIN };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('REST /api/v1/nacd/callouts', () => {
  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });
  let nodes: FakeNodes;
  before(async () => {
    nodes = await startFakeNodes('fs1');
  });
  after(async () => {
    await nodes.close();
  });

  function makeApp() {
    const config = validateConfig({ redis: { keyPrefix: uniquePrefix('co') }, admin: { keys: [ADMIN] }, freeswitch: { nodes: nodes.nodes }, eslOutbound: { host: '127.0.0.1', port: 8084 } });
    const logger = createLogger('silent');
    const metrics = createMetrics({ defaultMetrics: false });
    const policy = new FsPolicy(config.security);
    const services = createServices({ config, logger, redis: db.redis, pool: nodes.pool, metrics, policy });
    closers.push(() => services.close());
    const app = buildApp({ config, logger, redis: db.redis, pool: nodes.pool, metrics, version: 't', services, policy });
    closers.push(() => app.close());
    return app;
  }

  it('starts, reads back and stops a campaign; refuses bad input and missing keys; documents the API', async () => {
    const app = makeApp();
    const originates: string[] = [];
    const held: ((text: string) => void)[] = [];
    nodes.fakes[0]!.onApi('originate', (args) => {
      originates.push(args);
      if (args.includes('/9001 ')) return '-ERR USER_BUSY\n';
      return new Promise<string>((resolve) => held.push(resolve)); // rings until stopped
    });
    nodes.fakes[0]!.onApi('uuid_kill', () => {
      for (const reply of held.splice(0)) reply('-ERR ORIGINATOR_CANCEL\n');
      return '+OK\n';
    });
    const body = { numbers: ['9001', '9002', '9003'], queue: 'support', gateway: 'gw1', callerId: '4000', ratePerSec: 50, maxConcurrent: 1 };
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/nacd/callouts', payload: body })).statusCode, 401);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/nacd/callouts', headers: auth, payload: { ...body, group: '120' } });
    assert.equal(bad.statusCode, 400);
    assert.match(JSON.stringify(bad.json()), /exactly one of group or queue/);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/nacd/callouts/0b0e5a6e-0000-4000-8000-000000000000', headers: auth })).statusCode, 404);

    const res = await app.inject({ method: 'POST', url: '/api/v1/nacd/callouts', headers: auth, payload: body });
    assert.equal(res.statusCode, 201);
    const id = res.json().id as string;
    await waitFor(() => held.length === 1);
    assert.match(originates[1]!, /\}sofia\/gateway\/gw1\/9002 'set:freecti_queue=support,socket:127\.0\.0\.1:8084 async full' inline$/);
    const running = (await app.inject({ method: 'GET', url: `/api/v1/nacd/callouts/${id}`, headers: auth })).json();
    assert.equal(running.state, 'running');
    assert.deepEqual(running.results.map((r: { number: string; outcome: string }) => [r.number, r.outcome]), [['9001', 'busy']]);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/nacd/callouts/${id}`, headers: auth })).statusCode, 202);
    await waitFor(async () => (await app.inject({ method: 'GET', url: `/api/v1/nacd/callouts/${id}`, headers: auth })).json().state === 'stopped');
    const stopped = (await app.inject({ method: 'GET', url: `/api/v1/nacd/callouts/${id}`, headers: auth })).json();
    assert.deepEqual(stopped.results.map((r: { number: string; outcome: string }) => [r.number, r.outcome]).sort(), [['9001', 'busy'], ['9002', 'cancelled'], ['9003', 'cancelled']]);

    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.ok(doc.paths['/api/v1/nacd/callouts'].post);
    assert.ok(doc.paths['/api/v1/nacd/callouts/{id}'].get);
    assert.ok(doc.paths['/api/v1/nacd/callouts/{id}'].delete);
    assert.ok(doc.components.schemas.NacdCalloutRequest.properties.ratePerSec);
  });
});
