/**
 * The call-control routes against FreeSWITCH played by the fake (test/fake-freeswitch/, held
 * to the recordings) over real TCP through the real node pool, on a real Redis.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KEY, makeApp, sentCommands, startFakeNodes } from '../cli-http/helpers.js';
import { show } from '../fake-freeswitch/api-defaults.js';
import type { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';

const A = 'b2961087-c353-45f6-a50e-1fd957e23fec';
const LIMITED = 'limited-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';
const db = useRedis();

/** What the fake does not model, scripted with the recorded replies (esl-control conference-two-members..., api-registrations-two-users). */
function script(fake: FakeFreeSwitch): void {
  fake.addChannel({ uuid: A, destinationNumber: '1002' });
  fake.onApi('show', (args, ctx) =>
    args === 'registrations as json'
      ? '{"row_count":1,"rows":[{"reg_user":"1004","realm":"127.0.0.1","token":"reg-1004@127.0.0.1","url":"sofia/internal/sip:1004@127.0.0.1:5074","expires":"1795000000"}]}'
      : show(args, ctx),
  );
  fake.onApi('conference', (args) => {
    if (args === 'json_list') return '[]';
    if (args === 'demo json_list') return '[\n\t{\n\t\t"conference_name":\t"demo",\n\t\t"member_count":\t2,\n\t\t"members":\t[]\n\t}\n]';
    if (!args.startsWith('demo ')) return `-ERR Conference ${args.split(' ')[0]} not found\n`;
    const [, action, id] = args.split(' ');
    if (action === 'play') return `+OK (play) Playing file ${id}\n`;
    if (id === '99') return '-ERR Non-Existant ID 99\n';
    return action === 'kick' ? `+OK kicked ${id}\n` : `+OK ${action} ${id}\n`;
  });
}

async function setup(t: TestContext) {
  const nodes = await startFakeNodes('fs1');
  const fs1 = nodes.fakes[0]!;
  script(fs1);
  const config = {
    redis: { url: db.server.url, keyPrefix: uniquePrefix('cc') },
    cli: { key: KEY, keys: [{ id: 'limited', key: LIMITED, allow: ['show', 'uuid_kill'] }] },
    admin: { keys: [ADMIN] },
    freeswitch: { nodes: nodes.nodes },
  };
  const { app, logs } = makeApp(config, nodes.pool, db.redis);
  t.after(async () => {
    await app.close();
    await nodes.close();
  });
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, key = KEY) =>
    app.inject({ method, url, headers: { 'x-api-key': key }, ...(payload === undefined ? {} : { payload }) });
  return { app, logs, fs1, call, sent: () => sentCommands(fs1) };
}

test('click-to-call: agent leg first with our origination_uuid, customer bridged, recording on answer', async (t) => {
  const { call, sent } = await setup(t);
  const res = await call('POST', '/api/v1/calls', { agent: '1001', customer: '13800000000', gateway: 'gw1', record: true, timeoutSeconds: 20 });
  assert.equal(res.statusCode, 202);
  const body = res.json();
  assert.match(body.uuid, /^[0-9a-f-]{36}$/);
  const originate = sent()[0]!;
  assert.equal(originate.kind, 'bgapi');
  assert.equal(body.jobUuid, originate.jobUuid);
  assert.equal(
    originate.args,
    `{origination_uuid=${body.uuid},origination_caller_id_number=13800000000,ignore_early_media=true,originate_timeout=20}user/1001 ` +
      `&bridge({origination_caller_id_number=1001,execute_on_answer='record_session $\${recordings_dir}/${body.uuid}.wav'}sofia/gateway/gw1/13800000000)`,
  );
  assert.equal(body.recording, `$\${recordings_dir}/${body.uuid}.wav`);
});

test('click-to-call refuses dial-string injection in numbers', async (t) => {
  const { call, sent } = await setup(t);
  for (const customer of ['1000,user/1002', '1000}&system(id)', '${system id}', '1 2', 'user/1000']) {
    const res = await call('POST', '/api/v1/calls', { agent: '1001', customer });
    assert.equal(res.statusCode, 400, customer);
    assert.equal(res.json().error.code, 'FREECTI_ERR_BAD_REQUEST');
  }
  assert.deepEqual(sent(), []);
});

test('hangup: +OK and the channel is gone, unknown uuid 404 (recorded -ERR No such channel!), bad uuid 400', async (t) => {
  const { call, fs1 } = await setup(t);
  const ok = await call('DELETE', `/api/v1/calls/${A}`);
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { uuid: A, reply: '+OK' });
  assert.equal(fs1.channel(A), undefined);
  const again = await call('DELETE', `/api/v1/calls/${A}`);
  assert.equal(again.statusCode, 404);
  const missing = await call('DELETE', '/api/v1/calls/11111111-2222-3333-4444-555555555555');
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'FREECTI_ERR_CALL_NOT_FOUND');
  const bad = await call('DELETE', `/api/v1/calls/${encodeURIComponent('x y')}`);
  assert.equal(bad.statusCode, 400);
});

test('hold/unhold check the call exists first (uuid_hold answers +OK Success for anything)', async (t) => {
  const { call, sent } = await setup(t);
  const held = await call('POST', `/api/v1/calls/${A}/hold`);
  assert.deepEqual(held.json(), { uuid: A, reply: '+OK Success' });
  const unheld = await call('POST', `/api/v1/calls/${A}/unhold`);
  assert.equal(unheld.statusCode, 200);
  assert.deepEqual(sent().filter((c) => c.command === 'uuid_hold').map((c) => c.args), [A, `off ${A}`]);
  const missing = await call('POST', '/api/v1/calls/11111111-2222-3333-4444-555555555555/hold');
  assert.equal(missing.statusCode, 404);
  assert.equal(sent().filter((c) => c.command === 'uuid_hold').length, 2, 'no hold for a call that does not exist');
});

test('transfer and broadcast build the recorded commands; files cannot smuggle applications', async (t) => {
  const { call, sent } = await setup(t);
  const t1 = await call('POST', `/api/v1/calls/${A}/transfer`, { destination: '9196', leg: 'both' });
  assert.equal(t1.statusCode, 200);
  const b = await call('POST', `/api/v1/calls/${A}/broadcast`, { file: 'tone_stream://%(500,0,440)', leg: 'both' });
  assert.deepEqual(b.json(), { uuid: A, reply: '+OK Message sent' });
  assert.deepEqual(
    sent().map((c) => `${c.command} ${c.args}`),
    [`uuid_transfer ${A} -both 9196 XML default`, `uuid_broadcast ${A} tone_stream://%(500,0,440) both`],
  );
  for (const file of ['system::id', '/tmp/a.wav both', '${system id}', "a'b"]) {
    const res = await call('POST', `/api/v1/calls/${A}/broadcast`, { file });
    assert.equal(res.statusCode, 400, file);
  }
  const gone = await call('POST', '/api/v1/calls/11111111-2222-3333-4444-555555555555/broadcast', { file: '/tmp/a.wav' });
  assert.equal(gone.statusCode, 404);
});

test('eavesdrop: listen, whisper and barge set the recorded eavesdrop variables', async (t) => {
  const { call, sent } = await setup(t);
  const expected = { listen: [], whisper: ['eavesdrop_whisper_bleg=true'], barge: ['eavesdrop_whisper_aleg=true', 'eavesdrop_whisper_bleg=true'] };
  for (const [mode, vars] of Object.entries(expected)) {
    const res = await call('POST', `/api/v1/calls/${A}/eavesdrop`, { supervisor: '1003', mode });
    assert.equal(res.statusCode, 202);
    const originate = sent().filter((c) => c.kind === 'bgapi').at(-1)!;
    const uuid = res.json().uuid as string;
    assert.equal(originate.args, `{${[`origination_uuid=${uuid}`, 'origination_caller_id_number=eavesdrop', 'eavesdrop_enable_dtmf=true', ...vars].join(',')}}user/1003 &eavesdrop(${A})`);
  }
  const partner = await call('POST', `/api/v1/calls/${A}/eavesdrop`, { supervisor: '1003', mode: 'whisper', whisperTo: 'partner' });
  assert.equal(partner.statusCode, 202);
  assert.match(sent().at(-1)!.args, /eavesdrop_whisper_aleg=true\}/);
  const missing = await call('POST', '/api/v1/calls/11111111-2222-3333-4444-555555555555/eavesdrop', { supervisor: '1003' });
  assert.equal(missing.statusCode, 404);
});

test('conferences: list, one, member actions and play with the recorded replies', async (t) => {
  const { call } = await setup(t);
  assert.deepEqual((await call('GET', '/api/v1/conferences')).json(), { node: 'fs1', conferences: [] });
  assert.equal((await call('GET', '/api/v1/conferences/demo')).json().member_count, 2);
  assert.equal((await call('GET', '/api/v1/conferences/other')).statusCode, 404);
  assert.deepEqual((await call('POST', '/api/v1/conferences/demo/members/3/mute')).json(), { conference: 'demo', member: '3', reply: '+OK mute 3' });
  assert.equal((await call('POST', '/api/v1/conferences/demo/members/3/kick')).json().reply, '+OK kicked 3');
  const unknownMember = await call('POST', '/api/v1/conferences/demo/members/99/unmute');
  assert.equal(unknownMember.statusCode, 404);
  assert.equal(unknownMember.json().error.code, 'FREECTI_ERR_CONFERENCE_NOT_FOUND');
  assert.equal((await call('POST', '/api/v1/conferences/demo/members/3/explode')).statusCode, 400);
  const play = await call('POST', '/api/v1/conferences/demo/play', { file: 'tone_stream://%(1000,0,440)' });
  assert.equal(play.json().reply, '+OK (play) Playing file tone_stream://%(1000,0,440)');
});

test('calls and registrations lists parse both recorded JSON shapes', async (t) => {
  const { call, fs1 } = await setup(t);
  const calls = (await call('GET', '/api/v1/calls')).json();
  assert.equal(calls.node, 'fs1');
  assert.deepEqual(calls.calls.map((c: { uuid: string; dest: string }) => [c.uuid, c.dest]), [[A, '1002']]);
  fs1.removeChannel(A);
  assert.deepEqual((await call('GET', '/api/v1/calls')).json(), { node: 'fs1', calls: [] }, 'the recorded {"row_count": 0}');
  const regs = (await call('GET', '/api/v1/registrations?node=fs1')).json();
  assert.equal(regs.registrations[0].reg_user, '1004');
});

test('capabilities: a key limited to show + uuid_kill cannot originate; admin keys can; every call is audited', async (t) => {
  const { call, logs, sent } = await setup(t);
  const denied = await call('POST', '/api/v1/calls', { agent: '1001', customer: '1002' }, LIMITED);
  assert.equal(denied.statusCode, 403);
  assert.deepEqual(denied.json().error.details.missing, ['originate'], 'the typed API names the commands a key lacks');
  assert.equal((await call('GET', '/api/v1/calls', undefined, LIMITED)).statusCode, 200);
  assert.equal((await call('POST', '/api/v1/calls', { agent: '1001', customer: '1002' }, ADMIN)).statusCode, 202);
  assert.equal((await call('GET', '/api/v1/calls', undefined, 'wrong-key')).statusCode, 401);
  assert.equal(sent().filter((c) => c.command === 'originate').length, 1);
  const audit = logs.filter((l) => l['audit'] === true).map((l) => [l['keyId'], l['via'], l['status']]);
  assert.deepEqual(audit, [
    ['limited', 'click-to-call', 403],
    ['limited', 'list-calls', 200],
    ['admin-1', 'click-to-call', 200],
    ['-', 'list-calls', 401],
  ]);
});

test('the OpenAPI document describes the CLI, the call-control operations and the event stream', async (t) => {
  const { app } = await setup(t);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { operationId?: string }>> };
  assert.equal(doc.paths['/cli']?.['get']?.operationId, 'runCli');
  assert.equal(doc.paths['/api/v1/calls']?.['post']?.operationId, 'clickToCall');
  assert.equal(doc.paths['/api/v1/calls/{uuid}/eavesdrop']?.['post']?.operationId, 'eavesdropCall');
  assert.equal(doc.paths['/api/v1/conferences/{name}/members/{member}/{action}']?.['post']?.operationId, 'conferenceMember');
  assert.equal(doc.paths['/api/v1/events']?.['get']?.operationId, 'eventStream');
});

test('?key= works for the typed API too and is redacted from the URL the logs see', async (t) => {
  const { app, logs } = await setup(t);
  const res = await app.inject({ method: 'GET', url: `/api/v1/calls?key=${KEY}` });
  assert.equal(res.statusCode, 200);
  const missing = await app.inject({ method: 'DELETE', url: `/api/v1/calls/${A}?key=${KEY}&node=nope` });
  assert.equal(missing.statusCode, 404);
  assert.ok(!JSON.stringify(logs).includes(KEY));
});
