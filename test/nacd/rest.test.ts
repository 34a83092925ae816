/**
 * nacd groups over REST (admin key, validation, 404, OpenAPI) with groups seeded from the
 * config (a group changed over REST is kept by the next seeding), on a real Redis.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import type { FsPool } from '../../src/esl/types.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createServices } from '../../src/services.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';

const ADMIN = 'admin-key-0123456789abcdef';
const auth = { 'x-api-key': ADMIN };
const noPool: FsPool = { nodes: [], get: () => { throw new Error('no nodes'); }, statuses: () => [], close: async () => {} };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('REST /api/v1/nacd/groups', () => {
  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

  async function makeApp(prefix: string) {
    const config = validateConfig({
      redis: { keyPrefix: prefix },
      admin: { keys: [ADMIN] },
      nacd: { groups: { '120': { callflowUrl: 'http://127.0.0.1:9000/callflow', eventUrl: 'http://127.0.0.1:9000/event' } } },
    });
    const logger = createLogger('silent');
    const metrics = createMetrics({ defaultMetrics: false });
    const policy = new FsPolicy(config.security);
    const services = createServices({ config, logger, redis: db.redis, pool: noPool, metrics, policy });
    closers.push(() => services.close());
    services.start();
    await services.nacd.ready;
    const app = buildApp({ config, logger, redis: db.redis, pool: noPool, metrics, version: 't', services, policy });
    closers.push(() => app.close());
    return { app, services };
  }

  it('seeds the config, lists/gets/puts/deletes, refuses bad input and missing keys, documents the API', async () => {
    const prefix = uniquePrefix('nacd');
    const { app } = await makeApp(prefix);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/nacd/groups' })).statusCode, 401);
    let res = await app.inject({ method: 'GET', url: '/api/v1/nacd/groups', headers: auth });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(Object.keys(res.json().groups), ['120']);
    assert.equal(res.json().groups['120'].fallback.type, 'hangup');
    assert.equal(res.json().groups['120'].responseTimeoutMs, 3000);

    res = await app.inject({ method: 'PUT', url: '/api/v1/nacd/groups/110', headers: auth, payload: { callflowUrl: 'http://127.0.0.1:9000/ivr', fallback: { type: 'queue', queue: 'support' } } });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().fallback, { type: 'queue', queue: 'support' });
    res = await app.inject({ method: 'PUT', url: '/api/v1/nacd/groups/110', headers: auth, payload: { callflowUrl: 'http://127.0.0.1:9000/ivr2' } });
    assert.equal(res.statusCode, 200);
    res = await app.inject({ method: 'GET', url: '/api/v1/nacd/groups/110', headers: auth });
    assert.equal(res.json().callflowUrl, 'http://127.0.0.1:9000/ivr2');

    for (const payload of [{ callflowUrl: 'ftp://x/y' }, { callflowUrl: 'http://a/b', extra: 1 }, { callflowUrl: 'http://a/b', fallback: { type: 'queue' } }, []]) {
      res = await app.inject({ method: 'PUT', url: '/api/v1/nacd/groups/111', headers: auth, payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json().error.code, 'FREECTI_ERR_BAD_REQUEST');
    }
    res = await app.inject({ method: 'PUT', url: '/api/v1/nacd/groups/a%20b', headers: auth, payload: { callflowUrl: 'http://a/b' } });
    assert.equal(res.statusCode, 400);

    res = await app.inject({ method: 'DELETE', url: '/api/v1/nacd/groups/110', headers: auth });
    assert.equal(res.statusCode, 204);
    res = await app.inject({ method: 'GET', url: '/api/v1/nacd/groups/110', headers: auth });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'FREECTI_ERR_NACD_GROUP_NOT_FOUND');
    res = await app.inject({ method: 'DELETE', url: '/api/v1/nacd/groups/110', headers: auth });
    assert.equal(res.statusCode, 404);

    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.ok(doc.paths['/api/v1/nacd/groups/{group}'].put);
    assert.ok(doc.components.schemas.NacdGroupInput.properties.callflowUrl);
  });

  it('DID tables: put/get/list/delete in and out, validation, OpenAPI', async () => {
    const { app } = await makeApp(uniquePrefix('nacd'));
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/nacd/did/in' })).statusCode, 401);
    let res = await app.inject({ method: 'PUT', url: '/api/v1/nacd/did/in/10002', headers: auth, payload: { type: 'group', group: '120' } });
    assert.equal(res.statusCode, 201, res.body);
    res = await app.inject({ method: 'PUT', url: '/api/v1/nacd/did/out/1001', headers: auth, payload: { callerId: '4008001234', linegroup: 'carriers' } });
    assert.equal(res.statusCode, 201, res.body);
    res = await app.inject({ method: 'GET', url: '/api/v1/nacd/did/in', headers: auth });
    assert.deepEqual(res.json(), { entries: { '10002': { type: 'group', group: '120' } }, invalid: [] });
    res = await app.inject({ method: 'GET', url: '/api/v1/nacd/did/out/1001', headers: auth });
    assert.deepEqual(res.json(), { callerId: '4008001234', linegroup: 'carriers' });
    for (const [url, payload] of [['/api/v1/nacd/did/in/10003', { type: 'fax' }], ['/api/v1/nacd/did/out/1002', { callerId: '4008001234' }], ['/api/v1/nacd/did/in/1%3B2', { type: 'group', group: '1' }]] as const) {
      res = await app.inject({ method: 'PUT', url, headers: auth, payload });
      assert.equal(res.statusCode, 400, url);
    }
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/v1/nacd/did/in/10002', headers: auth })).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/nacd/did/in/10002', headers: auth })).statusCode, 404);
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/v1/nacd/did/in/10002', headers: auth })).statusCode, 404);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.ok(doc.paths['/api/v1/nacd/did/out/{number}'].put);
    assert.ok(doc.components.schemas.NacdDidOut);
  });

  it('a group changed over REST is kept when the config is seeded again', async () => {
    const prefix = uniquePrefix('nacd');
    const first = await makeApp(prefix);
    await first.app.inject({ method: 'PUT', url: '/api/v1/nacd/groups/120', headers: auth, payload: { callflowUrl: 'http://127.0.0.1:9000/changed' } });
    const second = await makeApp(prefix);
    const res = await second.app.inject({ method: 'GET', url: '/api/v1/nacd/groups/120', headers: auth });
    assert.equal(res.json().callflowUrl, 'http://127.0.0.1:9000/changed');
  });
});
