import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.js';
import { FreectiError } from '../../src/errors.js';
import type { FsPool } from '../../src/esl/types.js';
import { buildApp, type AppPlugin } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';

const pool: FsPool = {
  nodes: [],
  get() {
    throw new FreectiError('ESL_NOT_CONNECTED');
  },
  statuses: () => [],
  async close() {},
};

const routes: AppPlugin = async (app, deps) => {
  deps.openapi.addPath('/t/freecti', 'get', { summary: 'test route', responses: { '200': { description: 'never' } } });
  app.get('/t/freecti', async () => {
    throw new FreectiError('ESL_TIMEOUT', 'node fs1 did not answer in 10000 ms', { details: { node: 'fs1' } });
  });
  app.get('/t/unauthorized', async () => {
    throw new FreectiError('UNAUTHORIZED');
  });
  app.get('/t/crash', async () => {
    throw new TypeError('secret internals at /srv/freecti/x.ts:12');
  });
  app.get('/t/zod', async (request) => z.strictObject({ n: z.coerce.number().int() }).parse(request.query));
  app.post('/t/schema', { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } }, async () => ({ ok: true }));
};

const apps: FastifyInstance[] = [];
const clients: Redis[] = [];
after(async () => {
  await Promise.all(apps.map((app) => app.close()));
  for (const redis of clients) redis.disconnect();
});

function setup() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  // Never connected: port 1 refuses at once should a plugin try.
  const redis = new Redis({ port: 1, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  clients.push(redis);
  const metrics = createMetrics({ defaultMetrics: false });
  const app = buildApp({ config: loadConfig({}), logger: createLogger('info', sink), redis, pool, metrics, version: 't' }, [routes]);
  apps.push(app);
  return { app, lines };
}

test('a FreectiError answers its status and toJSON body', async () => {
  const { app } = setup();
  const res = await app.inject({ method: 'GET', url: '/t/freecti' });
  assert.equal(res.statusCode, 504);
  assert.deepEqual(res.json(), { error: { code: 'FREECTI_ERR_ESL_TIMEOUT', message: 'node fs1 did not answer in 10000 ms', details: { node: 'fs1' } } });
  const unauthorized = await app.inject({ method: 'GET', url: '/t/unauthorized' });
  assert.equal(unauthorized.statusCode, 401);
  assert.deepEqual(unauthorized.json(), { error: { code: 'FREECTI_ERR_UNAUTHORIZED', message: 'missing or wrong API key' } });
});

test('schema validation, zod errors and bad JSON answer 400 FREECTI_ERR_BAD_REQUEST', async () => {
  const { app } = setup();
  const schema = await app.inject({ method: 'POST', url: '/t/schema', payload: { n: 'x' } });
  assert.equal(schema.statusCode, 400);
  assert.equal(schema.json<{ error: { code: string } }>().error.code, 'FREECTI_ERR_BAD_REQUEST');
  const zod = await app.inject({ method: 'GET', url: '/t/zod?n=abc' });
  assert.equal(zod.statusCode, 400);
  assert.match(zod.json<{ error: { code: string; message: string } }>().error.message, /^n: /);
  const json = await app.inject({ method: 'POST', url: '/t/schema', headers: { 'content-type': 'application/json' }, payload: '{"n":' });
  assert.equal(json.statusCode, 400);
  assert.equal(json.json<{ error: { code: string } }>().error.code, 'FREECTI_ERR_BAD_REQUEST');
  const media = await app.inject({ method: 'POST', url: '/t/schema', headers: { 'content-type': 'application/x-unknown' }, payload: 'x' });
  assert.equal(media.statusCode, 400);
});

test('any other error: 500 FREECTI_ERR_INTERNAL, no detail to the client, one log line with the stack', async () => {
  const { app, lines } = setup();
  const res = await app.inject({ method: 'GET', url: '/t/crash' });
  assert.equal(res.statusCode, 500);
  assert.deepEqual(res.json(), { error: { code: 'FREECTI_ERR_INTERNAL', message: 'internal error' } });
  assert.ok(!res.body.includes('secret internals'));
  const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string; stack: string } }).filter((l) => l.level >= 50);
  assert.equal(logged.length, 1);
  assert.equal(logged[0]?.err?.message, 'secret internals at /srv/freecti/x.ts:12');
  assert.match(logged[0]?.err?.stack ?? '', /TypeError/);
});

test('unknown routes answer 404 FREECTI_ERR_NOT_FOUND', async () => {
  const { app } = setup();
  const res = await app.inject({ method: 'GET', url: '/nope?key=secret' });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), { error: { code: 'FREECTI_ERR_NOT_FOUND', message: 'no route for GET /nope' } });
});
