import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { makeApp, recordedRequest } from '../xml-curl/harness.js';

const KEY = 'admin-key-0123456789abcdef';
const auth = { 'x-api-key': KEY };

describe('extension admin API', () => {
  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

  const setup = (keys: string[] = [KEY]) => {
    const prefix = uniquePrefix('adm');
    return { prefix, ...makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: prefix }, admin: { keys } }) };
  };

  test('no admin.keys: 503 ADMIN_DISABLED; wrong or missing key: 401', async () => {
    const off = setup([]);
    const res = await off.app.inject({ method: 'GET', url: '/api/v1/domains/example.com/extensions/1000', headers: auth });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'FREECTI_ERR_ADMIN_DISABLED');
    await off.app.close();
    const on = setup();
    for (const headers of [{}, { 'x-api-key': 'wrong' }, { authorization: 'Bearer nope' }]) {
      const r = await on.app.inject({ method: 'GET', url: '/api/v1/domains/example.com/extensions/1000', headers });
      assert.equal(r.statusCode, 401);
      assert.equal(r.json().error.code, 'FREECTI_ERR_UNAUTHORIZED');
    }
    const bearer = await on.app.inject({ method: 'GET', url: '/api/v1/domains/example.com/extensions/1000', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(bearer.statusCode, 404);
    await on.app.close();
  });

  test('PUT creates (201) then replaces (200); GET reads; DELETE removes; FreeSWITCH sees each change at once', async () => {
    const { app, prefix } = setup();
    const value = { param: { password: 'p"<&' }, variable: { user_context: 'default' }, attribute: { 'number-alias': '99' } };
    const put = await app.inject({ method: 'PUT', url: '/api/v1/domains/127.0.0.1/extensions/1000', headers: auth, payload: value });
    assert.equal(put.statusCode, 201);
    assert.equal(await db.redis.hget(`${prefix}cti_exten@127.0.0.1`, '1000'), JSON.stringify(value));
    const again = await app.inject({ method: 'PUT', url: '/api/v1/domains/127.0.0.1/extensions/1000', headers: auth, payload: { param: { password: 'new' } } });
    assert.equal(again.statusCode, 200);
    const xml = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: recordedRequest('directory-sip-auth-register-1000').body });
    assert.match(xml.body, /<param name="password" value="new"\/>/);
    const get = await app.inject({ method: 'GET', url: '/api/v1/domains/127.0.0.1/extensions/1000', headers: auth });
    assert.deepEqual(get.json(), { extension: '1000', value: { param: { password: 'new' } } });
    // A direct write into Redis is seen at once (no cache).
    await db.redis.hset(`${prefix}cti_exten@127.0.0.1`, '1000', JSON.stringify({ param: { password: 'direct' } }));
    const direct = await app.inject({ method: 'GET', url: '/api/v1/domains/127.0.0.1/extensions/1000', headers: auth });
    assert.equal(direct.json().value.param.password, 'direct');
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/domains/127.0.0.1/extensions/1000', headers: auth });
    assert.equal(del.statusCode, 204);
    const gone = await app.inject({ method: 'DELETE', url: '/api/v1/domains/127.0.0.1/extensions/1000', headers: auth });
    assert.equal(gone.statusCode, 404);
    await app.close();
  });

  test('bad bodies and names: 400 FREECTI_ERR_BAD_REQUEST naming the field; nothing stored', async () => {
    const { app, prefix } = setup();
    const cases: [string, unknown, RegExp][] = [
      ['/api/v1/domains/127.0.0.1/extensions/1000', { param: { 'a1-hash': 'short' } }, /body\.param\.a1-hash/],
      ['/api/v1/domains/127.0.0.1/extensions/1000', { params: {} }, /body/],
      ['/api/v1/domains/127.0.0.1/extensions/1000', { variable: { 'bad name': 'x' } }, /body\.variable\.bad name/],
      ['/api/v1/domains/127.0.0.1/extensions/1000', { attribute: { cacheable: 'soon' } }, /body\.attribute\.cacheable/],
      ['/api/v1/domains/127.0.0.1/extensions/10%2000', { param: {} }, /path\.ext/],
      ['/api/v1/domains/bad%20domain/extensions/1000', { param: {} }, /path\.domain/],
    ];
    for (const [url, payload, field] of cases) {
      const res = await app.inject({ method: 'PUT', url, headers: auth, payload: payload as object });
      assert.equal(res.statusCode, 400, url);
      assert.equal(res.json().error.code, 'FREECTI_ERR_BAD_REQUEST');
      assert.match(res.json().error.message, field);
    }
    const notJson = await app.inject({ method: 'PUT', url: '/api/v1/domains/127.0.0.1/extensions/1000', headers: { ...auth, 'content-type': 'application/json' }, payload: '{oops' });
    assert.equal(notJson.statusCode, 400);
    assert.equal(await db.redis.exists(`${prefix}cti_exten@127.0.0.1`), 0);
    await app.close();
  });

  test('list pages through the hash with cursor/limit; invalid stored values are flagged', async () => {
    const { app, prefix } = setup();
    const key = `${prefix}cti_exten@example.com`;
    // Enough entries for Redis to use a real hash table (small hashes are scanned in one go).
    const entries: string[] = [];
    for (let i = 0; i < 1500; i++) entries.push(`${5000 + i}`, JSON.stringify({ param: { password: `pw${i}` } }));
    await db.redis.hset(key, ...entries);
    await db.redis.hset(key, 'broken', '{not json');
    const seen = new Set<string>();
    let cursor = '0';
    let pages = 0;
    let flagged = 0;
    do {
      const res = await app.inject({ method: 'GET', url: `/api/v1/domains/example.com/extensions?limit=50&cursor=${cursor}`, headers: auth });
      assert.equal(res.statusCode, 200);
      const body = res.json() as { items: { extension: string; value: unknown; error?: string }[]; nextCursor: string | null };
      for (const item of body.items) {
        seen.add(item.extension);
        if (item.error !== undefined) flagged++;
      }
      cursor = body.nextCursor ?? '0';
      pages++;
    } while (cursor !== '0');
    assert.equal(seen.size, 1501);
    assert.equal(flagged, 1);
    assert.ok(pages > 1);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/domains/example.com/extensions?limit=0', headers: auth });
    assert.equal(bad.statusCode, 400);
    await app.close();
  });

  test('over a real socket, and documented in /openapi.json', async () => {
    const { app } = setup();
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const put = await request(`${base}/api/v1/domains/127.0.0.1/extensions/1001`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ param: { password: 'x' } }) });
      assert.equal(put.statusCode, 201);
      await put.body.dump();
      const doc = (await (await request(`${base}/openapi.json`)).body.json()) as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
      assert.ok(doc.paths['/api/v1/domains/{domain}/extensions/{ext}']?.['put']);
      assert.ok(doc.paths['/api/v1/domains/{domain}/extensions']?.['get']);
      assert.ok(doc.paths['/freeswitch/xml']?.['post']);
      assert.ok(doc.components.schemas['Extension']);
    } finally {
      await app.close();
    }
  });
});
