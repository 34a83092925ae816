/**
 * Control mode end to end: a real OutboundServer, FreeSWITCH's side played by the fake
 * FreeSWITCH's outbound mode (test/fake-freeswitch/outbound-call.ts, held to the
 * esl-outbound recordings), a real webhook app, a real Redis.
 */
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load.js';
import { createOutboundServer, type OutboundServer } from '../../src/esl/outbound-server.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/redis.js';
import { controlActions } from '../../src/routing/control-dialplan.js';
import { attachControlMode } from '../../src/routing/control-mode.js';
import { outcomeOf } from '../../src/routing/control-session.js';
import { routeSchema, type RouteInput } from '../../src/routing/route-schema.js';
import { RouteStore } from '../../src/routing/route-store.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhook/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { FakeFreeSwitch, type ExecuteResult } from '../fake-freeswitch/index.js';
import { LINGER_ORDERS, type LingerOrder } from '../fake-freeswitch/linger.js';
import { controlCall, type ControlCall } from './control-call.js';

let webapp: TestApp;
let outbound: OutboundServer;
let store: RouteStore;
let webhooks: WebhookClient;
let port: number;
let fake: FakeFreeSwitch;
const logs: Record<string, unknown>[] = [];

async function putRoute(input: Partial<RouteInput> & { id: string }): Promise<void> {
  await store.put(routeSchema.parse({ context: 'default', mode: 'control', url: `${webapp.url}/ivr?n=\${destination_number}`, responseTimeoutMs: 300, connectTimeoutMs: 300, ...input }));
}

function query(i: number): URLSearchParams {
  return new URL(`http://x${webapp.seen[i]?.url ?? ''}`).searchParams;
}

const db = useRedis({
  afterStart: setup,
  connect: (url) => createRedis(loadConfig({ REDIS_URL: url }), createLogger('silent')),
  beforeStop: async () => {
    await fake.close();
    await outbound.close();
    await webhooks.close();
    await webapp.close();
  },
});

async function setup(): Promise<void> {
  webapp = await startApp((_req, res) => json(res, []));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('info', sink);
  store = new RouteStore(db.redis, new Keys(uniquePrefix('ctl')), logger, 0);
  webhooks = createWebhookClient();
  outbound = createOutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 2000, connectTimeoutMs: 2000, logger });
  attachControlMode(outbound, { store, webhooks, logger, publicContext: 'public' });
  port = (await outbound.listen()).port;
  fake = await FakeFreeSwitch.start();
}

const callThroughSocket = (routeId: string, onExecute?: (app: string, arg: string) => ExecuteResult, order?: LingerOrder): Promise<ControlCall> =>
  controlCall(fake, port, routeId, onExecute, order);

beforeEach(() => {
  webapp.seen.length = 0;
  logs.length = 0;
});

test('the served dialplan hands the call to the outbound socket, fallback after it', () => {
  const route = routeSchema.parse({ id: 'ivr', context: 'default', mode: 'control', url: 'http://127.0.0.1/x' });
  assert.deepEqual(controlActions(route, '127.0.0.1:8084'), [
    { application: 'set', data: 'freecti_route=ivr' },
    { application: 'socket', data: '127.0.0.1:8084 async full' },
    { application: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' },
  ]);
});

test('an IVR over several requests: digits go back to the application, bridge ends it', async () => {
  await putRoute({ id: 'ivr' });
  webapp.handler = (req, res) => {
    const step = new URL(`http://x${req.url}`).searchParams.get('step');
    if (step === '1') json(res, [{ application: 'answer' }, { application: 'play_and_get_digits', data: '4 4 1 5000 # tone_stream://%(100,0,440) silence_stream://250 digits \\d+' }]);
    else json(res, [{ application: 'playback', data: 'ivr/thanks.wav' }, { application: 'bridge', data: 'user/1001' }]);
  };
  const call = await callThroughSocket('ivr', (app) =>
    app === 'play_and_get_digits' ? { variables: { digits: '1234', read_result: 'success', read_terminator_used: '#' } } : app === 'playback' ? { response: 'FILE PLAYED' } : {},
  );
  assert.deepEqual(call.executed.map((e) => e.app), ['answer', 'unset', 'play_and_get_digits', 'playback', 'bridge']);
  assert.equal(call.executed[1]?.arg, 'read_terminator_used', 'a stale terminator is cleared before each read');
  assert.equal(call.executed[2]?.arg, '4 4 1 5000 # tone_stream://%(100,0,440) silence_stream://250 digits \\d+');
  assert.equal(webapp.seen.length, 2);
  assert.equal(query(0).get('n'), '7000', 'template filled from the channel data');
  assert.equal(query(0).get('step'), '1');
  assert.equal(webapp.seen[0]?.headers['x-request-id'], call.uuid);
  assert.deepEqual(Object.fromEntries(query(1)), { n: '7000', step: '2', last_application: 'play_and_get_digits', last_response: '_none_', digits: '1234', read_result: 'success', terminator: '#' });
  assert.deepEqual(call.hangups, ['NORMAL_CLEARING'], 'freecti hangs up after the bridge');
});

for (const order of LINGER_ORDERS) {
  test(`bridge (${order}): no continue_on_fail from freecti; a failed bridge ends the call with its real cause, FreeSWITCH hanging up`, async () => {
    await putRoute({ id: 'busy' });
    webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: 'user/1001' }, { application: 'playback', data: 'never.wav' }]);
    const call = await callThroughSocket('busy', (app) => (app === 'bridge' ? { fails: 'USER_BUSY' } : {}), order);
    assert.deepEqual(call.executed.map((e) => e.app), ['bridge']);
    assert.deepEqual([call.hangups, call.hangupCause], [[], 'USER_BUSY']);
    assert.equal(webapp.seen.length, 1);
    assert.ok(!logs.some((l) => l['uuid'] === call.uuid && l['level'] === 40), 'no warn line: the caller is simply gone');
  });

  test(`bridge (${order}): two lines with the application's continue_on_fail: the first gateway fails, the second is dialled`, async () => {
    await putRoute({ id: 'twolines' });
    webapp.handler = (_req, res) =>
      json(res, [
        { application: 'set', data: 'continue_on_fail=true' },
        { application: 'bridge', data: 'sofia/gateway/gw-a/5551234' },
        { application: 'bridge', data: 'sofia/gateway/gw-b/5551234' },
      ]);
    const call = await callThroughSocket('twolines', (app, arg) => (app === 'bridge' && arg.includes('gw-a') ? { fails: 'INVALID_GATEWAY' } : {}), order);
    assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['set continue_on_fail=true', 'bridge sofia/gateway/gw-a/5551234', 'bridge sofia/gateway/gw-b/5551234']);
    assert.deepEqual(call.hangups, ['NORMAL_CLEARING'], 'answered on line 2: freecti hangs up normally');
  });

  test(`bridge (${order}): continue_on_fail and every line failing: freecti hangs up with the last bridge's cause`, async () => {
    await putRoute({ id: 'allfail' });
    webapp.handler = (_req, res) => json(res, [{ application: 'set', data: 'continue_on_fail=true' }, { application: 'bridge', data: 'sofia/gateway/gw-a/1' }]);
    const call = await callThroughSocket('allfail', (app) => (app === 'bridge' ? { fails: 'NORMAL_TEMPORARY_FAILURE' } : {}), order);
    assert.deepEqual(call.hangups, ['NORMAL_TEMPORARY_FAILURE']);
  });
}

test('the application answering hangup ends the call without another request', async () => {
  await putRoute({ id: 'bye' });
  webapp.handler = (_req, res) => json(res, [{ application: 'playback', data: 'bye.wav' }, { application: 'hangup', data: 'NORMAL_CLEARING' }]);
  const call = await callThroughSocket('bye', () => ({}));
  assert.deepEqual(call.executed.map((e) => e.app), ['playback', 'hangup']);
  assert.equal(webapp.seen.length, 1);
  assert.deepEqual(call.hangups, []);
});

test('a webhook failure gives the call back to FreeSWITCH (fallback) and logs the uuid and reason', async () => {
  await putRoute({ id: 'flaky' });
  webapp.handler = (req, res) => {
    if (new URL(`http://x${req.url}`).searchParams.get('step') === '1') json(res, [{ application: 'answer' }]);
    else json(res, { error: 'down' }, 503);
  };
  const call = await callThroughSocket('flaky', () => ({}));
  assert.equal(call.closedBy, 'client', 'freecti closed the socket');
  assert.deepEqual(call.executed.map((e) => e.app), ['answer']);
  assert.deepEqual(call.hangups, []);
  const line = logs.find((l) => l['uuid'] === call.uuid && l['component'] === 'routing-control');
  assert.match(String(line?.['reason']), /status 503/);
});

test('refused replies and endless loops give the call back too', async () => {
  await putRoute({ id: 'evil' });
  webapp.handler = (_req, res) => json(res, [{ application: 'system', data: 'id' }]);
  const evil = await callThroughSocket('evil', () => ({}));
  assert.deepEqual(evil.executed, []);
  assert.match(String(logs.find((l) => l['uuid'] === evil.uuid && l['component'] === 'routing-control')?.['reason']), /'system' is not in the allow-list/);
  await putRoute({ id: 'loop', maxSteps: 3 });
  webapp.handler = (_req, res) => json(res, [{ application: 'playback', data: 'again.wav' }]);
  const loop = await callThroughSocket('loop', () => ({ response: 'FILE PLAYED' }));
  assert.equal(loop.executed.length, 3);
  assert.equal(webapp.seen.length - 1, 3);
  assert.match(String(logs.find((l) => l['uuid'] === loop.uuid && /after 3 requests/.test(String(l['reason'])))?.['reason']), /no hangup, bridge or transfer/);
});

test('the caller hanging up ends the session: no more requests, no hangup sent', async () => {
  await putRoute({ id: 'gone' });
  webapp.handler = (_req, res) => json(res, [{ application: 'playback', data: 'long.wav' }, { application: 'playback', data: 'never.wav' }]);
  const call = await callThroughSocket('gone', () => ({ response: 'PLAYBACK ERROR', callerHangsUp: true }));
  assert.deepEqual(call.executed.map((e) => e.arg), ['long.wav']);
  assert.equal(webapp.seen.length, 1);
  assert.deepEqual(call.hangups, []);
});

test('a session for a route that no longer exists is given back; other sessions are left alone', async () => {
  const missing = await callThroughSocket('no-such-route', () => ({}));
  assert.equal(missing.closedBy, 'client', 'freecti closed the socket');
  assert.ok(logs.some((l) => l['uuid'] === missing.uuid && /no control route/.test(String(l['msg']))));
  assert.equal(webapp.seen.length, 0);
});

test('outcome: digits from the var_name of play_and_get_digits or read; nothing stale after other apps', async () => {
  const { EslEvent } = await import('../../src/esl/event.js');
  const done = new EslEvent({ 'Application-Response': '_none_', variable_choice: '42', variable_digits: '9', variable_read_result: 'success', variable_read_terminator_used: '#' });
  assert.deepEqual(outcomeOf(2, { application: 'play_and_get_digits', data: '1 2 3 5000 # a.wav b.wav choice \\d+' }, done), {
    step: '2', last_application: 'play_and_get_digits', last_response: '_none_', digits: '42', read_result: 'success', terminator: '#',
  });
  assert.equal(outcomeOf(2, { application: 'read', data: '1 4 a.wav choice 5000 #' }, done)['digits'], '42');
  const failed = new EslEvent({ 'Application-Response': '_none_', variable_read_result: 'failure', variable_read_terminator_used: '#' });
  assert.deepEqual(outcomeOf(3, { application: 'play_and_get_digits', data: '1 2 1 2000 # a.wav b.wav digits \\d+' }, failed), {
    step: '3', last_application: 'play_and_get_digits', last_response: '_none_', digits: '', read_result: 'failure', terminator: '#',
  });
  assert.deepEqual(outcomeOf(4, { application: 'playback', data: 'x.wav' }, done), {
    step: '4', last_application: 'playback', last_response: '_none_', digits: '', read_result: '', terminator: '',
  });
});

test('POST JSON routes get every channel field plus the outcome in the body', async () => {
  await putRoute({ id: 'post', method: 'POST', body: 'json', url: `${webapp.url}/ivr-post` });
  webapp.handler = (req, res) => {
    const body = JSON.parse(req.body) as Record<string, string>;
    json(res, body['step'] === '1' ? [{ application: 'read', data: '1 1 menu.wav pick 3000 #' }] : [{ application: 'hangup' }]);
  };
  const call = await callThroughSocket('post', (app) => (app === 'read' ? { variables: { pick: '7', read_result: 'success' } } : {}));
  assert.deepEqual(call.executed.map((e) => e.app), ['unset', 'read', 'hangup']);
  const second = JSON.parse(webapp.seen[1]?.body ?? '{}') as Record<string, string>;
  assert.equal(second['Unique-ID'], call.uuid);
  assert.equal(second['Caller-Destination-Number'], '7000');
  assert.equal(second['variable_freecti_route'], 'post');
  assert.deepEqual([second['step'], second['last_application'], second['digits'], second['read_result'], second['terminator']], ['2', 'read', '7', 'success', '']);
});
