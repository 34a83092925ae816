import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/app.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { linegroupRoutes } from '../../src/linegroups/routes.js';
import type { FsPool } from '../../src/esl/types.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';

const ADMIN = 'admin-key-0123456789abcdef';
/** Every app built, closed after each test whatever happened. */
const apps: ReturnType<typeof buildApp>[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

const noPool: FsPool = { nodes: [], get: () => { throw new Error('no nodes'); }, statuses: () => [], close: async () => {} };

function makeApp(prefix: string, adminKeys: string[] = [ADMIN]): { app: ReturnType<typeof buildApp>; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = validateConfig({ redis: { keyPrefix: prefix }, admin: { keys: adminKeys } });
  // linegroupRoutes is one of buildApp's default plugins.
  assert.ok(typeof linegroupRoutes === 'function');
  const app = buildApp({ config, logger: createLogger('info', sink), redis: db.redis, pool: noPool, metrics: createMetrics({ defaultMetrics: false }), version: 't' });
  apps.push(app);
  return { app, logs };
}

const auth = { 'x-api-key': ADMIN };
const group = { strategy: 'round-robin', lines: [{ id: 'a', gateway: 'gw-a', maxConcurrent: 2, cps: 5 }, { id: 'b', gateway: 'gw-b' }] };

describe('REST /api/v1/linegroups', () => {
  it('PUT creates (201, defaults filled), PUT again replaces (200), GET one and all, DELETE', async () => {
    const prefix = uniquePrefix();
    const { app, logs } = makeApp(prefix);
    let res = await app.inject({ method: 'PUT', url: '/api/v1/linegroups/sales', headers: auth, payload: group });
    assert.equal(res.statusCode, 201, res.body);
    const stored = res.json();
    assert.equal(stored.quarantine.failures, 3);
    assert.equal(stored.lines[1].priority, 100);
    res = await app.inject({ method: 'PUT', url: '/api/v1/linegroups/sales', headers: auth, payload: { ...group, strategy: 'least-busy' } });
    assert.equal(res.statusCode, 200);
    res = await app.inject({ method: 'GET', url: '/api/v1/linegroups/sales', headers: auth });
    assert.equal(res.json().strategy, 'least-busy');
    res = await app.inject({ method: 'GET', url: '/api/v1/linegroups', headers: auth });
    assert.deepEqual(Object.keys(res.json().linegroups), ['sales']);
    // the resolver sees what the API stored
    const resolver = new LinegroupResolver({ redis: db.redis, keys: new Keys(prefix), logger: createLogger('silent') });
    const { lease } = await resolver.resolveLinegroupDialString('linegroup/sales/123');
    res = await app.inject({ method: 'GET', url: '/api/v1/linegroups/sales/status', headers: auth });
    assert.deepEqual(res.json().lines.map((l: { active: number }) => l.active).reduce((a: number, b: number) => a + b, 0), 1);
    await resolver.release(lease);
    res = await app.inject({ method: 'DELETE', url: '/api/v1/linegroups/sales', headers: auth });
    assert.equal(res.statusCode, 204);
    res = await app.inject({ method: 'GET', url: '/api/v1/linegroups/sales', headers: auth });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'FREECTI_ERR_LINEGROUP_NOT_FOUND');
    assert.ok(logs.some((l) => l['msg'] === 'line group created' && l['group'] === 'sales'));
  });

  it('refuses invalid groups with 400 naming the field', async () => {
    const { app } = makeApp(uniquePrefix());
    const bad: [string, unknown][] = [
      ['sales', { lines: [] }],
      ['sales', { lines: [{ id: 'a', gateway: 'gw' }, { id: 'a', gateway: 'gw' }] }],
      ['sales', { lines: [{ id: 'a', gateway: 'gw', cps: 0 }] }],
      ['sales', { lines: [{ id: 'a', gateway: 'gw', variables: { x: '${system(id)}' } }] }],
      ['sales', { lines: [{ id: 'a', gateway: 'gw/../x' }] }],
      ['sales', { strategy: 'fastest', lines: [{ id: 'a', gateway: 'gw' }] }],
      ['sales', { lines: [{ id: 'a', gateway: 'gw' }], typo: 1 }],
      ['bad:name', { lines: [{ id: 'a', gateway: 'gw' }] }],
    ];
    for (const [name, body] of bad) {
      const res = await app.inject({ method: 'PUT', url: `/api/v1/linegroups/${encodeURIComponent(name)}`, headers: auth, payload: body as object });
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)} -> ${res.body}`);
      assert.equal(res.json().error.code, 'FREECTI_ERR_BAD_REQUEST');
    }
  });

  it('UTF-8 names (seed users name groups in Chinese): the URL path, Redis keys, the dial string and the line variables', async () => {
    const prefix = uniquePrefix();
    const { app } = makeApp(prefix);
    const name = '默认线路组';
    const path = `/api/v1/linegroups/${encodeURIComponent(name)}`;
    let res = await app.inject({ method: 'PUT', url: path, headers: auth, payload: { lines: [{ id: '电信-1', gateway: 'gw-a', maxConcurrent: 1 }] } });
    assert.equal(res.statusCode, 201, res.body);
    res = await app.inject({ method: 'GET', url: '/api/v1/linegroups', headers: auth });
    assert.deepEqual(Object.keys(res.json().linegroups), [name]);
    const resolver = new LinegroupResolver({ redis: db.redis, keys: new Keys(prefix), logger: createLogger('silent') });
    const { dialString, lease } = await resolver.resolveLinegroupDialString(`{origination_caller_id_number=121}linegroup/${name}/5555`);
    assert.match(dialString, /^\{origination_caller_id_number=121\}\[freecti_linegroup=默认线路组,freecti_line=电信-1,freecti_lease=[0-9a-f-]{36}\]sofia\/gateway\/gw-a\/5555$/);
    res = await app.inject({ method: 'GET', url: `${path}/status`, headers: auth });
    assert.equal(res.json().lines[0].active, 1, 'the lease is counted under the UTF-8 key');
    await assert.rejects(() => resolver.resolveLinegroupDialString(`linegroup/${name}/5556`), /FREECTI_ERR_|busy|limit|no line/i, 'maxConcurrent 1 holds under the UTF-8 key');
    await resolver.release(lease);
    // Names still refuse anything FreeSWITCH would read as syntax.
    for (const bad of ['默认 组', '默认/组', '默认,组', '默认{组}', '默认$组', '默认:组']) {
      res = await app.inject({ method: 'PUT', url: `/api/v1/linegroups/${encodeURIComponent(bad)}`, headers: auth, payload: { lines: [{ id: 'a', gateway: 'gw-a' }] } });
      assert.equal(res.statusCode, 400, bad);
    }
  });

  it('needs the admin key; disabled without admin.keys', async () => {
    const { app } = makeApp(uniquePrefix());
    for (const headers of [{}, { 'x-api-key': 'wrong-key-0123456789abc' }]) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/linegroups', headers });
      assert.equal(res.statusCode, 401);
    }
    const bearer = await app.inject({ method: 'GET', url: '/api/v1/linegroups', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(bearer.statusCode, 200);
    const disabled = makeApp(uniquePrefix(), []);
    const res = await disabled.app.inject({ method: 'PUT', url: '/api/v1/linegroups/x', headers: auth, payload: group });
    assert.equal(res.statusCode, 503);
  });

  it('documents the API in /openapi.json', async () => {
    const { app } = makeApp(uniquePrefix());
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.ok(doc.paths['/api/v1/linegroups/{group}'].put);
    assert.ok(doc.components.schemas.LinegroupInput.properties.lines);
  });
});
