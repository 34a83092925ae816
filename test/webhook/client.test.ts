import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { isFreectiError, type FreectiError } from '../../src/errors.js';
import { createWebhookClient, verifySignature } from '../../src/webhook/index.js';
import { classifyError } from '../../src/webhook/failure.js';
import { freePort } from '../helpers/redis.js';
import { json, startApp, type TestApp } from './http-app.js';

let app: TestApp;
const registry = new Registry();
const client = createWebhookClient({ registry, responseTimeoutMs: 3000 });

before(async () => {
  app = await startApp((_req, res) => json(res, { ok: true }));
});
after(async () => {
  await client.close();
  await app.close();
});

async function failure(promise: Promise<unknown>): Promise<FreectiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isFreectiError(error), `expected a FreectiError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

test('GET with query, request id, reused pooled connection', async () => {
  app.handler = (_req, res) => json(res, [{ application: 'answer' }]);
  app.seen.length = 0;
  const first = await client.requestJson({ url: `${app.url}/route?a=1`, query: { number: '10 01+x' }, requestId: 'call-1' });
  const second = await client.request({ url: `${app.url}/route` });
  assert.deepEqual(first.data, [{ application: 'answer' }]);
  assert.equal(first.response.requestId, 'call-1');
  assert.equal(app.seen[0]?.url, '/route?a=1&number=10%2001%2Bx');
  assert.equal(app.seen[0]?.method, 'GET');
  assert.equal(app.seen[0]?.headers['x-request-id'], 'call-1');
  assert.match(String(app.seen[1]?.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(second.status, 200);
  for (let i = 0; i < 4; i += 1) await client.request({ url: `${app.url}/route` });
  const ports = new Set(app.seen.map((s) => s.remotePort));
  assert.ok(ports.size < app.seen.length, `keep-alive connections reused (${ports.size} sockets for ${app.seen.length} requests)`);
});

test('POST JSON and form bodies, signed; the signature verifies', async () => {
  app.handler = (_req, res) => json(res, {});
  app.seen.length = 0;
  await client.request({ url: `${app.url}/j`, json: { uuid: 'u1', n: 1 }, secret: 's3cret' });
  await client.request({ url: `${app.url}/f`, form: { a: 'x y', b: '+&=' }, secret: 's3cret' });
  await client.request({ url: `${app.url}/g?number=1001`, secret: 's3cret' });
  const [j, f, g] = app.seen;
  assert.equal(j?.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(j?.body ?? ''), { uuid: 'u1', n: 1 });
  assert.equal(f?.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(f?.body, 'a=x%20y&b=%2B%26%3D');
  for (const [seen, payload] of [[j, j?.body], [f, f?.body], [g, '/g?number=1001']] as const) {
    const ok = verifySignature({
      secret: 's3cret',
      timestamp: seen?.headers['x-freecti-timestamp'] as string,
      signature: seen?.headers['x-freecti-signature'] as string,
      payload: payload ?? '',
    });
    assert.equal(ok, true);
    assert.equal(verifySignature({ secret: 'other', timestamp: seen?.headers['x-freecti-timestamp'] as string, signature: seen?.headers['x-freecti-signature'] as string, payload: payload ?? '' }), false);
  }
  assert.equal(verifySignature({ secret: 's', timestamp: '1', signature: 'sha256=00', payload: '' }), false, 'old timestamp refused');
});

test('no answer at all: WEBHOOK_TIMEOUT', async () => {
  app.handler = () => undefined;
  const error = await failure(client.request({ url: `${app.url}/hang`, responseTimeoutMs: 150, connectTimeoutMs: 150 }));
  assert.equal(error.key, 'WEBHOOK_TIMEOUT');
});

test('headers then a body that never ends: WEBHOOK_TIMEOUT', async () => {
  app.handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
  };
  const error = await failure(client.request({ url: `${app.url}/slow-body`, responseTimeoutMs: 150, connectTimeoutMs: 150 }));
  assert.equal(error.key, 'WEBHOOK_TIMEOUT');
});

test('connection refused: WEBHOOK_UNREACHABLE', async () => {
  const port = await freePort();
  const error = await failure(client.request({ url: `http://127.0.0.1:${port}/x` }));
  assert.equal(error.key, 'WEBHOOK_UNREACHABLE');
  assert.equal(error.details?.['reason'], 'ECONNREFUSED');
});

test('non-2xx: WEBHOOK_BAD_STATUS with the status', async () => {
  app.handler = (_req, res) => json(res, { error: 'x' }, 500);
  const error = await failure(client.request({ url: `${app.url}/500` }));
  assert.equal(error.key, 'WEBHOOK_BAD_STATUS');
  assert.equal(error.details?.['status'], 500);
});

test('body over the limit and non-JSON body: WEBHOOK_BAD_REPLY', async () => {
  app.handler = (_req, res) => res.end('x'.repeat(5000));
  assert.equal((await failure(client.request({ url: `${app.url}/big`, maxBodyBytes: 1000 }))).key, 'WEBHOOK_BAD_REPLY');
  assert.equal((await failure(client.requestJson({ url: `${app.url}/text` }))).key, 'WEBHOOK_BAD_REPLY');
});

test('a body sent in pieces (a character split between them) arrives whole; a body cut short is a typed failure', async () => {
  const text = JSON.stringify([{ application: 'playback', data: 'é€/x.wav' }]);
  const bytes = Buffer.from(text);
  const cut = bytes.indexOf(Buffer.from('€')) + 1;
  app.handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(bytes.subarray(0, cut));
    setTimeout(() => res.end(bytes.subarray(cut)), 20);
  };
  const pieces = await client.requestJson({ url: `${app.url}/pieces` });
  assert.equal(pieces.response.body, text);
  assert.deepEqual(pieces.data, [{ application: 'playback', data: 'é€/x.wav' }]);
  app.handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
    res.write('[{"application":');
    setTimeout(() => res.socket?.destroy(), 20);
  };
  assert.equal((await failure(client.request({ url: `${app.url}/cut` }))).key, 'WEBHOOK_UNREACHABLE');
});

test('bad URLs and an aborted caller are typed failures too', async () => {
  assert.equal((await failure(client.request({ url: 'ftp://127.0.0.1/x' }))).key, 'WEBHOOK_UNREACHABLE');
  assert.equal((await failure(client.request({ url: 'http://user:pw@127.0.0.1/x' }))).key, 'WEBHOOK_UNREACHABLE');
  assert.equal((await failure(client.request({ url: 'not a url' }))).key, 'WEBHOOK_UNREACHABLE');
  app.handler = () => undefined;
  const error = await failure(client.request({ url: `${app.url}/abort`, signal: AbortSignal.abort() }));
  assert.equal(error.key, 'WEBHOOK_TIMEOUT');
  assert.equal(error.details?.['reason'], 'aborted');
  assert.equal(classifyError(Object.assign(new Error('c'), { code: 'UND_ERR_CONNECT_TIMEOUT' }), 't', false, false).details?.['reason'], 'connect timeout');
});

test('metrics count each outcome per origin+path, never the query', async () => {
  const text = await registry.metrics();
  assert.match(text, new RegExp(`freecti_webhook_requests_total\\{target="${app.url}/route",outcome="ok"\\} 6`));
  assert.match(text, /outcome="timeout"/);
  assert.match(text, /outcome="bad_status"/);
  assert.match(text, /outcome="bad_reply"/);
  assert.match(text, /outcome="unreachable"/);
  assert.doesNotMatch(text, /number=/);
  assert.match(text, /freecti_webhook_request_duration_seconds_bucket/);
});

test('notify returns at once and retries 5xx with backoff until success', async () => {
  let hits = 0;
  app.handler = (_req, res) => {
    hits += 1;
    json(res, {}, hits < 3 ? 503 : 200);
  };
  client.notify({ url: `${app.url}/n`, json: { action: 'ring' } }, { attempts: 5, initialDelayMs: 10 });
  assert.equal(hits, 0, 'notify did not wait for the request');
  assert.equal(client.pendingNotifications(), 1);
  while (client.pendingNotifications() > 0) await new Promise((r) => setTimeout(r, 10));
  assert.equal(hits, 3);
});

test('notify does not retry a 4xx and gives up after the attempts', async () => {
  let hits = 0;
  app.handler = (_req, res) => {
    hits += 1;
    json(res, {}, 404);
  };
  client.notify({ url: `${app.url}/n4` }, { attempts: 4, initialDelayMs: 5 });
  while (client.pendingNotifications() > 0) await new Promise((r) => setTimeout(r, 10));
  assert.equal(hits, 1);
  hits = 0;
  app.handler = (_req, res) => {
    hits += 1;
    json(res, {}, 502);
  };
  client.notify({ url: `${app.url}/n5` }, { attempts: 2, initialDelayMs: 5 });
  while (client.pendingNotifications() > 0) await new Promise((r) => setTimeout(r, 10));
  assert.equal(hits, 2);
  assert.match(await registry.metrics(), /freecti_webhook_notifications_dropped_total\{target="[^"]+\/n5",reason="gave_up"\} 1/);
});

test('close() waits for a pending notification, then refuses new requests', async () => {
  const own = createWebhookClient();
  let hits = 0;
  app.handler = (_req, res) => {
    hits += 1;
    setTimeout(() => json(res, {}), 50);
  };
  own.notify({ url: `${app.url}/late` });
  await own.close(1000);
  assert.equal(hits, 1);
  assert.equal(own.pendingNotifications(), 0);
  const error = await failure(own.request({ url: `${app.url}/after` }));
  assert.equal(error.key, 'WEBHOOK_UNREACHABLE');
  assert.equal(error.details?.['reason'], 'client closed');
});
