/**
 * HTTP call routing end to end: the recorded mod_xml_curl dialplan request
 * (xml-curl/dialplan-call-1000-to-1001.http) sent byte for byte over a real socket to
 * the real app, a real node:http webhook application and a real Redis.
 * One test per failure mode shows the fallback document was served and logged.
 */
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/redis.js';
import { verifySignature } from '../../src/webhook/index.js';
import { freePort, useRedis } from '../helpers/redis.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { makeApp, recordedRequest, sendRaw, withFields, type Harness } from '../xml-curl/harness.js';
import { findAll, parseXml } from './xml-check.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = 'admin-key-0123456789abcdef';
const UUID = '4bbe7137-63d5-417f-813b-44e1d04df14d';
const recorded = recordedRequest('dialplan-call-1000-to-1001');

let webapp: TestApp;
let h: Harness;
let port: number;

async function putRoute(id: string, route: Record<string, unknown>): Promise<number> {
  const res = await h.app.inject({ method: 'PUT', url: `/api/v1/routes/${id}`, headers: { 'x-api-key': ADMIN }, payload: route });
  assert.ok(res.statusCode < 300, res.body);
  return res.statusCode;
}

/** The recorded request, or its body with some fields changed (Content-Length fixed). */
function raw(changes?: Record<string, string>): Buffer {
  if (changes === undefined) return recorded.raw;
  const body = withFields(recorded.body, changes);
  return Buffer.from(`${recorded.head.replace(/Content-Length: \d+/, `Content-Length: ${Buffer.byteLength(body)}`)}\r\n\r\n${body}`, 'latin1');
}

function actionsOf(xml: string): { context: string; actions: { application: string; data: string | undefined }[] } {
  const doc = parseXml(xml);
  assert.equal(doc.name, 'document');
  const contexts = findAll(doc, 'context');
  assert.equal(contexts.length, 1);
  assert.equal(findAll(doc, 'section')[0]?.attrs['name'], 'dialplan');
  assert.equal(findAll(doc, 'extension')[0]?.attrs['name'], 'freecti');
  return { context: contexts[0]?.attrs['name'] ?? '', actions: findAll(doc, 'action').map((a) => ({ application: a.attrs['application'] ?? '', data: a.attrs['data'] })) };
}

const FALLBACK = [{ application: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' }];

/** Sends the request and checks that the route's fallback was served and logged with the uuid and the reason. */
async function expectFallback(reason: RegExp, fallback = FALLBACK): Promise<void> {
  h.logs.length = 0;
  const res = await sendRaw(port, raw());
  assert.equal(res.status, 200);
  assert.deepEqual(actionsOf(res.body).actions, fallback);
  const line = h.logs.find((l) => l['uuid'] === UUID && l['component'] === 'routing');
  assert.ok(line, 'one log line for the call');
  assert.match(String(line['reason']), reason);
  assert.match(String(line['msg']), new RegExp(UUID));
}

const db = useRedis({
  afterStart: setup,
  connect: (url) => createRedis(loadConfig({ REDIS_URL: url }), createLogger('silent')),
  beforeStop: async () => {
    await h.app.close();
    await webapp.close();
  },
});

async function setup(): Promise<void> {
  webapp = await startApp((_req, res) => json(res, []));
  h = makeApp(db.redis, {
    redis: { url: db.server.url, keyPrefix: 'rt:' },
    admin: { keys: [ADMIN] },
    routing: {
      cacheMs: 0,
      routes: [{ id: 'main', context: 'default', url: `${webapp.url}/route?number=\${destination_number}`, responseTimeoutMs: 300, connectTimeoutMs: 300 }],
    },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const address = h.app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
  await waitFor(async () => (await db.redis.hexists('rt:{freecti}:routes', 'main')) === 1);
}

beforeEach(async () => {
  webapp.seen.length = 0;
  await putRoute('main', {
    context: 'default',
    url: `${webapp.url}/route?number=\${destination_number}&uuid=\${uuid}&from=\${caller_id_number}&ctx=\${context}&agent=\${sip_user_agent}&x=\${no_such_var}`,
    responseTimeoutMs: 300,
    connectTimeoutMs: 300,
  });
});

test('the route URL is requested and the JSON actions become the dialplan, escaped', async () => {
  webapp.handler = (_req, res) =>
    json(res, [
      { application: 'playback', data: '/sounds/a&b "<x>".wav' },
      { application: 'bridge', data: "{origination_caller_id_name='A B'}user/1001" },
    ]);
  const res = await sendRaw(port, raw());
  assert.equal(res.status, 200);
  assert.match(res.headers, /content-type: text\/xml/i);
  assert.deepEqual(actionsOf(res.body), {
    context: 'default',
    actions: [
      { application: 'playback', data: '/sounds/a&b "<x>".wav' },
      { application: 'bridge', data: "{origination_caller_id_name='A B'}user/1001" },
    ],
  });
  assert.match(res.body, /data="\/sounds\/a&amp;b &quot;&lt;x&gt;&quot;.wav"/);
  const seen = webapp.seen[0];
  assert.equal(seen?.method, 'GET');
  assert.equal(seen?.url, `/route?number=1001&uuid=${UUID}&from=1000&ctx=default&agent=sipp-uac-1000&x=`);
  assert.equal(seen?.headers['x-request-id'], UUID);
});

test('a single object is a one-action list; data may be left out', async () => {
  webapp.handler = (_req, res) => json(res, { application: 'answer' });
  const res = await sendRaw(port, raw());
  assert.deepEqual(actionsOf(res.body).actions, [{ application: 'answer', data: undefined }]);
});

test('values are url-encoded in the URL template', async () => {
  webapp.handler = (_req, res) => json(res, [{ application: 'answer' }]);
  await sendRaw(port, raw({ 'Hunt-Destination-Number': '10 01&a=b/#', 'Caller-Destination-Number': 'x' }));
  assert.match(webapp.seen[0]?.url ?? '', /^\/route\?number=10%2001%26a%3Db%2F%23&/);
});

test('fallback: the application does not answer in time', async () => {
  webapp.handler = () => undefined;
  await expectFallback(/timeout/);
});

test('fallback: connection refused', async () => {
  await putRoute('main', { context: 'default', url: `http://127.0.0.1:${await freePort()}/route` });
  await expectFallback(/ECONNREFUSED/);
});

test('fallback: non-2xx status', async () => {
  webapp.handler = (_req, res) => json(res, { error: 'boom' }, 500);
  await expectFallback(/status 500/);
});

test('fallback: the reply is not JSON', async () => {
  webapp.handler = (_req, res) => res.end('<html>oops</html>');
  await expectFallback(/not JSON/);
});

test('fallback: empty action list', async () => {
  webapp.handler = (_req, res) => json(res, []);
  await expectFallback(/empty action list/);
});

test('fallback: an application not in the allow-list', async () => {
  webapp.handler = (_req, res) => json(res, [{ application: 'answer' }, { application: 'no_such_app', data: 'x' }]);
  await expectFallback(/not in the allow-list/);
});

test('fallback: dangerous applications and command-running data are refused', async () => {
  for (const [action, reason] of [
    [{ application: 'system', data: 'rm -rf /' }, /'system' is not in the allow-list/],
    [{ application: 'lua', data: 'os.execute()' }, /'lua' is not in the allow-list/],
    [{ application: 'set', data: 'x=${system(id)}' }, /api expansion \$\{system\(id\)\} is not allowed/],
    [{ application: 'set', data: 'api_hangup_hook=system id' }, /api_hangup_hook/],
    [{ application: 'bridge', data: '{execute_on_answer=lua x}user/1001' }, /execute_on_answer/],
    [{ application: 'playback', data: 'a\nb' }, /control character/],
    [{ application: 'playback', data: { file: 'x' } }, /not a string/],
  ] as const) {
    webapp.handler = (_req, res) => json(res, [action]);
    await expectFallback(reason);
  }
});

test("a route's own fallback list is served on failure", async () => {
  const fallback = [
    { application: 'answer', data: '' },
    { application: 'playback', data: 'ivr/sorry.wav' },
    { application: 'transfer', data: 'operator XML default' },
  ];
  await putRoute('main', { context: 'default', url: `${webapp.url}/r`, fallback });
  webapp.handler = (_req, res) => json(res, {}, 503);
  await expectFallback(/status 503/, fallback.map((a) => ({ application: a.application, data: a.data === '' ? undefined : a.data })) as typeof FALLBACK);
});

test('unmatched context or number: "not found", FreeSWITCH uses its static XML', async () => {
  const other = await sendRaw(port, raw({ 'Hunt-Context': 'other', 'Caller-Context': 'other' }));
  assert.match(other.body, /<result status="not found"\/>/);
  await putRoute('main', { context: 'default', destination: '^9\\d+$', url: `${webapp.url}/r` });
  const unmatched = await sendRaw(port, raw());
  assert.match(unmatched.body, /<result status="not found"\/>/);
  assert.equal(webapp.seen.length, 0, 'the application was not asked');
});

test('routes of one context are tried by priority', async () => {
  await putRoute('second', { context: 'default', destination: '^1001$', priority: 5, url: `${webapp.url}/second` });
  webapp.handler = (_req, res) => json(res, [{ application: 'answer' }]);
  await sendRaw(port, raw());
  assert.match(webapp.seen[0]?.url ?? '', /^\/second/);
  await h.app.inject({ method: 'DELETE', url: '/api/v1/routes/second', headers: { 'x-api-key': ADMIN } });
});

test('POST form and POST JSON carry every field; a secret signs the request', async () => {
  const secret = 'route-secret-0123456789';
  webapp.handler = (_req, res) => json(res, [{ application: 'answer' }]);
  await putRoute('main', { context: 'default', url: `${webapp.url}/form`, method: 'POST', secret });
  await sendRaw(port, raw());
  await putRoute('main', { context: 'default', url: `${webapp.url}/json`, method: 'POST', body: 'json' });
  await sendRaw(port, raw());
  const [form, asJson] = webapp.seen;
  const fields = new URLSearchParams(form?.body);
  assert.equal(fields.get('Caller-Destination-Number'), '1001');
  assert.equal(fields.get('variable_sip_user_agent'), 'sipp-uac-1000');
  assert.equal([...fields.keys()].length, [...new URLSearchParams(recorded.body).keys()].length);
  const ts = form?.headers['x-freecti-timestamp'] as string;
  assert.equal(verifySignature({ secret, timestamp: ts, signature: form?.headers['x-freecti-signature'] as string, payload: form?.body ?? '' }), true);
  assert.equal(asJson?.headers['content-type'], 'application/json');
  assert.equal((JSON.parse(asJson?.body ?? '{}') as Record<string, string>)['Unique-ID'], UUID);
  assert.equal(asJson?.headers['x-freecti-signature'], undefined);
});

test('metrics count routed, fallback and not_found', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(res.body, /freecti_routing_requests_total\{outcome="routed"\} [1-9]/);
  assert.match(res.body, /freecti_routing_requests_total\{outcome="fallback"\} [1-9]/);
  assert.match(res.body, /freecti_routing_requests_total\{outcome="not_found"\} [1-9]/);
  assert.match(res.body, /freecti_webhook_requests_total\{target="http:\/\/127\.0\.0\.1:\d+\/route",outcome="timeout"\} 1/);
});

test('toll-fraud rule: in the public context a reply dialling out is refused unless the route allows it', async () => {
  const publicCall = raw({ 'Hunt-Context': 'public', 'Caller-Context': 'public' });
  await putRoute('pub', { context: 'public', url: `${webapp.url}/pub` });
  webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: 'sofia/gateway/carrier/0049301234' }]);
  h.logs.length = 0;
  const refused = await sendRaw(port, publicCall);
  assert.deepEqual(actionsOf(refused.body), { context: 'public', actions: FALLBACK });
  assert.match(String(h.logs.find((l) => l['uuid'] === UUID)?.['reason']), /sofia\/gateway\/carrier/);
  webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: 'user/1001' }]);
  assert.deepEqual(actionsOf((await sendRaw(port, publicCall)).body).actions, [{ application: 'bridge', data: 'user/1001' }]);
  await putRoute('pub', { context: 'public', url: `${webapp.url}/pub`, allowOutbound: true });
  webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: 'sofia/gateway/carrier/0049301234' }]);
  assert.deepEqual(actionsOf((await sendRaw(port, publicCall)).body).actions, [{ application: 'bridge', data: 'sofia/gateway/carrier/0049301234' }]);
  const bad = await h.app.inject({
    method: 'PUT',
    url: '/api/v1/routes/pub',
    headers: { 'x-api-key': ADMIN },
    payload: { context: 'public', url: `${webapp.url}/pub`, fallback: [{ application: 'bridge', data: 'linegroup/default/123' }] },
  });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error.message, /linegroup/);
  await h.app.inject({ method: 'DELETE', url: '/api/v1/routes/pub', headers: { 'x-api-key': ADMIN } });
});

test('a control-mode route serves the hand-over to the outbound socket without asking the URL', async () => {
  await putRoute('main', { context: 'default', mode: 'control', url: `${webapp.url}/ivr` });
  const res = await sendRaw(port, raw());
  assert.deepEqual(actionsOf(res.body).actions, [
    { application: 'set', data: 'freecti_route=main' },
    { application: 'socket', data: '127.0.0.1:8084 async full' },
    ...FALLBACK,
  ]);
  assert.equal(webapp.seen.length, 0);
});

test('a reply bridging to a line group runs on the outbound socket (cti_dial): FreeSWITCH has no linegroup/ endpoint', async () => {
  webapp.handler = (_req, res) =>
    json(res, [
      { application: 'answer' },
      { application: 'bridge', data: '{origination_caller_id_number=1000}linegroup/default/5555' },
      { application: 'bridge', data: 'user/1001' },
      { application: 'hangup' },
    ]);
  const served = actionsOf((await sendRaw(port, raw())).body).actions;
  assert.deepEqual(served, [
    { application: 'answer', data: undefined },
    { application: 'set', data: 'cti_dial={origination_caller_id_number=1000}linegroup/default/5555' },
    { application: 'socket', data: `${h.config.eslOutbound.host}:${h.config.eslOutbound.port} async full` },
    { application: 'bridge', data: 'user/1001' },
    { application: 'hangup', data: undefined },
  ]);
});

test('a reply cti_bridge runs on the outbound socket (set cti_bridge + socket); the public context refuses it unless the route allows outbound', async () => {
  webapp.handler = (_req, res) =>
    json(res, [
      { application: 'cti_bridge', data: 'http://127.0.0.1:3000/bridge?biz=7 3000 3000 1 continue_on_fail=true' },
      { application: 'playback', data: '/sounds/sorry.wav' },
    ]);
  assert.deepEqual(actionsOf((await sendRaw(port, raw())).body).actions, [
    { application: 'set', data: 'cti_bridge=http://127.0.0.1:3000/bridge?biz=7 3000 3000 1 continue_on_fail=true' },
    { application: 'socket', data: `${h.config.eslOutbound.host}:${h.config.eslOutbound.port} async full` },
    { application: 'playback', data: '/sounds/sorry.wav' },
  ]);
  // Bad arguments are a refused reply: the fallback is served.
  webapp.handler = (_req, res) => json(res, [{ application: 'cti_bridge', data: 'ftp://x/y 3000' }]);
  assert.deepEqual(actionsOf((await sendRaw(port, raw())).body).actions, FALLBACK);
  const publicCall = raw({ 'Hunt-Context': 'public', 'Caller-Context': 'public' });
  await putRoute('pub', { context: 'public', url: `${webapp.url}/pub` });
  webapp.handler = (_req, res) => json(res, [{ application: 'cti_bridge', data: 'http://127.0.0.1:3000/bridge' }]);
  h.logs.length = 0;
  assert.deepEqual(actionsOf((await sendRaw(port, publicCall)).body).actions, FALLBACK);
  assert.match(String(h.logs.find((l) => l['uuid'] === UUID)?.['reason']), /cti_bridge' dials out/);
  await putRoute('pub', { context: 'public', url: `${webapp.url}/pub`, allowOutbound: true });
  assert.equal(actionsOf((await sendRaw(port, publicCall)).body).actions[0]?.data, 'cti_bridge=http://127.0.0.1:3000/bridge');
  await h.app.inject({ method: 'DELETE', url: '/api/v1/routes/pub', headers: { 'x-api-key': ADMIN } });
});

test("a route's fallback with cti_bridge or a linegroup bridge is served through the outbound socket too", async () => {
  await putRoute('fb', {
    context: 'default',
    priority: 1,
    url: `${webapp.url}/fb`,
    responseTimeoutMs: 300,
    connectTimeoutMs: 300,
    fallback: [{ application: 'cti_bridge', data: 'http://127.0.0.1:3000/b' }, { application: 'bridge', data: 'linegroup/default/110' }],
  });
  webapp.handler = (_req, res) => res.writeHead(503).end();
  try {
    assert.deepEqual(actionsOf((await sendRaw(port, raw())).body).actions, [
      { application: 'set', data: 'cti_bridge=http://127.0.0.1:3000/b' },
      { application: 'socket', data: `${h.config.eslOutbound.host}:${h.config.eslOutbound.port} async full` },
      { application: 'set', data: 'cti_dial=linegroup/default/110' },
      { application: 'socket', data: `${h.config.eslOutbound.host}:${h.config.eslOutbound.port} async full` },
    ]);
  } finally {
    await h.app.inject({ method: 'DELETE', url: '/api/v1/routes/fb', headers: { 'x-api-key': ADMIN } });
  }
});
