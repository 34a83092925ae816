/** `GET/PUT/DELETE /api/v1/routes` with a real Redis: admin key, validation, write-only secrets, seeding. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { closeRedis, createRedis } from '../../src/redis.js';
import { RouteStore } from '../../src/routing/route-store.js';
import { routeSchema } from '../../src/routing/route-schema.js';
import { Keys } from '../../src/keys.js';
import { freePort, uniquePrefix, useRedis } from '../helpers/redis.js';
import { makeApp, type Harness } from '../xml-curl/harness.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = 'admin-key-0123456789abcdef';
const auth = { 'x-api-key': ADMIN };
let h: Harness;
const prefix = uniquePrefix('api');

const db = useRedis({
  afterStart: setup,
  connect: (url) => createRedis(loadConfig({ REDIS_URL: url }), createLogger('silent')),
  beforeStop: async () => {
    await h.app.close();
  },
});

async function setup(): Promise<void> {
  h = makeApp(db.redis, {
    redis: { url: db.server.url, keyPrefix: prefix },
    admin: { keys: [ADMIN] },
    routing: { routes: [{ id: 'seeded', context: 'public', url: 'http://127.0.0.1:9/route?n=${destination_number}' }] },
  });
  await h.app.ready();
  await waitFor(async () => (await db.redis.hexists(`${prefix}{freecti}:routes`, 'seeded')) === 1);
}

test('without admin.keys the API is disabled (503)', async () => {
  const off = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: uniquePrefix('off') } });
  const res = await off.app.inject({ method: 'GET', url: '/api/v1/routes', headers: auth });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'FREECTI_ERR_ADMIN_DISABLED');
  await off.app.close();
});

test('a missing or wrong key is refused (401); X-API-Key and Bearer are accepted', async () => {
  assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/routes' })).statusCode, 401);
  assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/routes', headers: { 'x-api-key': `${ADMIN}x` } })).statusCode, 401);
  assert.equal((await h.app.inject({ method: 'GET', url: `/api/v1/routes?key=${ADMIN}` })).statusCode, 401, 'never from the query');
  assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/routes', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode, 200);
});

test('config routes are seeded; create, replace, read (secret hidden), delete', async () => {
  const list = await h.app.inject({ method: 'GET', url: '/api/v1/routes', headers: auth });
  assert.deepEqual(list.json().routes.map((r: { id: string }) => r.id), ['seeded']);
  const body = { context: 'default', url: 'http://127.0.0.1:9/r?n=${destination_number}', secret: 'a-secret-of-16-chars' };
  const created = await h.app.inject({ method: 'PUT', url: '/api/v1/routes/r1', headers: auth, payload: body });
  assert.equal(created.statusCode, 201);
  assert.equal(created.json().hasSecret, true);
  assert.equal(created.json().secret, undefined);
  assert.deepEqual(created.json().fallback, [{ application: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' }]);
  const replaced = await h.app.inject({ method: 'PUT', url: '/api/v1/routes/r1', headers: auth, payload: { ...body, id: 'r1', priority: 7 } });
  assert.equal(replaced.statusCode, 200);
  const one = await h.app.inject({ method: 'GET', url: '/api/v1/routes/r1', headers: auth });
  assert.equal(one.json().priority, 7);
  assert.equal(one.json().secret, undefined);
  const stored = JSON.parse((await db.redis.hget(`${prefix}{freecti}:routes`, 'r1')) ?? '{}') as { secret?: string };
  assert.equal(stored.secret, 'a-secret-of-16-chars', 'the secret is kept in Redis');
  assert.equal((await h.app.inject({ method: 'DELETE', url: '/api/v1/routes/r1', headers: auth })).statusCode, 204);
  assert.equal((await h.app.inject({ method: 'DELETE', url: '/api/v1/routes/r1', headers: auth })).statusCode, 404);
  assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/routes/r1', headers: auth })).statusCode, 404);
});

test('invalid routes are refused with 400 and a reason', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ context: 'default', url: 'http://127.0.0.1/r', fallback: [{ application: 'system', data: 'id' }] }, /'system' is not in the allow-list/],
    [{ context: 'default', url: 'http://${destination_number}.evil/r' }, /host part/],
    [{ context: 'default', url: 'ftp://127.0.0.1/r' }, /absolute http/],
    [{ context: 'default', url: 'http://127.0.0.1/r?x=${system(id)}' }, /only \$\{name\}/],
    [{ context: 'default', url: 'http://127.0.0.1/r', destination: '([' }, /regular expression/],
    [{ context: 'default', url: 'http://127.0.0.1/r', destination: '^(\\d)\\1$' }, /linear-time engine.*back-references are not supported/],
    [{ context: 'default', url: 'http://127.0.0.1/r', destination: '^(?!0)\\d+$' }, /lookahead and lookbehind are not supported/],
    [{ context: 'default', url: 'http://127.0.0.1/r', surprise: 1 }, /surprise|unrecognized/i],
    [{ context: 'default', url: 'http://127.0.0.1/r', id: 'other' }, /differs/],
    [{ context: 'default', url: 'http://127.0.0.1/r', fallback: [] }, /fallback|too small|>=1/i],
    [{ context: 'default', url: 'http://127.0.0.1/r', fallback: [{ application: 'playback', data: 'a\u0001b' }] }, /control character/],
  ];
  for (const [payload, reason] of cases) {
    const res = await h.app.inject({ method: 'PUT', url: '/api/v1/routes/bad', headers: auth, payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.equal(res.json().error.code, 'FREECTI_ERR_BAD_REQUEST');
    assert.match(res.json().error.message, reason);
  }
  assert.equal((await h.app.inject({ method: 'PUT', url: '/api/v1/routes/bad%20id', headers: auth, payload: {} })).statusCode, 400);
});

test('seeding never overwrites a route edited through the API', async () => {
  const store = new RouteStore(db.redis, new Keys(prefix), createLogger('silent'));
  const edited = await h.app.inject({ method: 'PUT', url: '/api/v1/routes/seeded', headers: auth, payload: { context: 'public', url: 'http://127.0.0.1:9/edited' } });
  assert.equal(edited.statusCode, 200);
  assert.equal(await store.seed([routeSchema.parse({ id: 'seeded', context: 'public', url: 'http://127.0.0.1:9/original' })]), 0);
  assert.equal((await store.get('seeded'))?.url, 'http://127.0.0.1:9/edited');
});

test('garbage stored in Redis is ignored, not served', async () => {
  await db.redis.hset(`${prefix}{freecti}:routes`, 'junk', '{not json', 'wrong', JSON.stringify({ id: 'x', context: 'a', url: 'http://127.0.0.1/' }));
  const list = await h.app.inject({ method: 'GET', url: '/api/v1/routes', headers: auth });
  assert.ok(!list.json().routes.some((r: { id: string }) => r.id === 'junk' || r.id === 'wrong'));
  await db.redis.hdel(`${prefix}{freecti}:routes`, 'junk', 'wrong');
});

test('the route table keeps serving from cache while Redis is down; empty cache means not found', async () => {
  const store = new RouteStore(db.redis, new Keys(prefix), createLogger('silent'), 0);
  const before = await store.table();
  assert.ok(before.length > 0);
  const down = createRedis(loadConfig({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }), createLogger('silent'));
  const broken = new RouteStore(down, new Keys(prefix), createLogger('silent'), 0);
  await assert.rejects(broken.table());
  (broken as unknown as { cached: unknown }).cached = { at: 0, routes: before };
  assert.deepEqual(await broken.table(), before);
  const offline = makeApp(down, { redis: { url: db.server.url, keyPrefix: prefix }, admin: { keys: [ADMIN] } });
  const res = await offline.app.inject({ method: 'GET', url: '/api/v1/routes', headers: auth });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'FREECTI_ERR_REDIS_UNAVAILABLE');
  await offline.app.close();
  down.disconnect();
});

test('the API is in the OpenAPI document', async () => {
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.ok(doc.paths['/api/v1/routes'].get);
  assert.ok(doc.paths['/api/v1/routes/{id}'].put);
  assert.ok(doc.components.schemas.RouteInput);
});

test('a start with routes and a Redis client still connecting: seeded once ready, no warning (issue 9)', async () => {
  const fresh = createRedis(loadConfig({ REDIS_URL: db.server.url }), createLogger('silent'));
  const freshPrefix = uniquePrefix('seed');
  try {
    assert.notEqual(fresh.status, 'ready', 'the client is still connecting when the app starts');
    const app = makeApp(fresh, { redis: { url: db.server.url, keyPrefix: freshPrefix }, routing: { routes: [{ id: 'early', context: 'default', url: 'http://127.0.0.1:9/r' }] } });
    await app.app.ready();
    await waitFor(async () => (await db.redis.hexists(`${freshPrefix}{freecti}:routes`, 'early')) === 1);
    assert.deepEqual(app.logs.filter((l) => Number(l['level']) >= 40).map((l) => l['msg']), []);
    assert.equal(app.logs.filter((l) => l['msg'] === 'routes from the config seeded into Redis').length, 1);
    await app.app.close();
  } finally {
    await closeRedis(fresh);
  }
});
