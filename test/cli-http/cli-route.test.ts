/**
 * GET /cli against FreeSWITCH played by the fake (test/fake-freeswitch/, held to the
 * recordings) over real TCP through the real node pool, on a real Redis (the per-key rate
 * limit runs its Redis path).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { request } from 'undici';
import type { ConfigInput } from '../../src/config/schema.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { readEsl } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { KEY, OPS_KEY, makeApp, sentCommands, startFakeNodes } from './helpers.js';

const db = useRedis();
/** The recorded `api status` reply (esl-inbound/api-status), which the fakes are scripted to give. */
const STATUS = EslDecoder.decodeAll(readEsl('esl-inbound/api-status')).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []))[0]!;

const config = {
  cli: {
    key: KEY,
    keys: [
      { id: 'ops', key: OPS_KEY, allow: ['status', 'system'], ratePerMinute: 0 },
      { id: 'lan', key: 'lan-key-0123456789abcdef', allow: ['*'], sourceCidrs: ['10.0.0.0/8'] },
      { id: 'slow', key: 'slow-key-0123456789abcdef', allow: ['status'], ratePerMinute: 2 },
    ],
  },
  // mod_cti's robot application, as an operator running mod_cti's module would list it (seed 003).
  security: { extraApplications: ['cti_robot'] },
};

async function setup(t: TestContext, input: ConfigInput = config) {
  const nodes = await startFakeNodes('fs1', 'fs2');
  for (const fake of nodes.fakes) fake.onApi('status', STATUS);
  const prefix = uniquePrefix('cli');
  const { app, logs } = makeApp({ ...input, redis: { url: db.server.url, keyPrefix: prefix }, freeswitch: { nodes: nodes.nodes } }, nodes.pool, db.redis);
  t.after(async () => {
    await app.close();
    await nodes.close();
  });
  const [fs1, fs2] = nodes.fakes as [FakeFreeSwitch, FakeFreeSwitch];
  /** FreeSWITCH `fake` goes down; resolves once its node is no longer ready. */
  const down = async (fake: FakeFreeSwitch): Promise<void> => {
    const node = nodes.pool.nodes[nodes.fakes.indexOf(fake)]!;
    await fake.stop();
    if (node.status.state === 'ready') await new Promise<void>((resolve) => node.on('state', (state) => state !== 'ready' && resolve()));
  };
  return { app, logs, fs1, fs2, down, prefix };
}

const sent = sentCommands;

test('status: the exact FreeSWITCH text, text/plain, whatever the encoding of arg', async (t) => {
  const { app, fs1 } = await setup(t);
  for (const url of [`/cli?key=${KEY}&cmd=status`, `/cli?key=${KEY}&cmd=status&arg=`, `/cli?cmd=status&key=${KEY}`]) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    assert.equal(res.body, STATUS);
    assert.equal(res.headers['x-freecti-node'], 'fs1');
  }
  fs1.onApi('echo', (args) => `${args}\n`);
  for (const arg of ['a+b+%2B', 'a%20b%20%2B', 'a b +'.replace(/ /g, '+').replace('++', '+%2B')]) {
    const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=echo&arg=${arg}` });
    assert.equal(res.body, 'a b +\n');
  }
});

test('FreeSWITCH -ERR stays HTTP 200 with the exact text and X-Freecti-Result: err', async (t) => {
  const { app, fs1 } = await setup(t);
  const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=originate&arg=user/1015+%26park()` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, '-ERR USER_NOT_REGISTERED\n');
  assert.equal(res.headers['x-freecti-result'], 'err');
  // originate is not a quick command: it ran as bgapi and the job's text came back.
  assert.deepEqual(sent(fs1).map(({ kind, command, args }) => ({ kind, command, args })), [{ kind: 'bgapi', command: 'originate', args: 'user/1015 &park()' }]);
});

test('bgapi (seed example 1): +OK Job-UUID and the job runs the inner command in the background', async (t) => {
  const { app, fs1 } = await setup(t);
  const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=bgapi&arg=originate%20user%2F1000%20%26echo` });
  assert.equal(res.statusCode, 200);
  const call = sent(fs1)[0];
  assert.equal(call?.kind, 'bgapi');
  assert.equal(call?.command, 'originate');
  assert.equal(call?.args, 'user/1000 &echo');
  assert.equal(res.body, `+OK Job-UUID: ${call?.jobUuid}\n`);
});

test('wrong or missing key: 401 and nothing runs', async (t) => {
  const { app, fs1 } = await setup(t);
  for (const url of ['/cli?cmd=status', '/cli?key=nope&cmd=status', `/cli?key=${KEY}x&cmd=status`]) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'FREECTI_ERR_UNAUTHORIZED');
  }
  assert.deepEqual(sent(fs1), []);
  const header = await app.inject({ method: 'GET', url: '/cli?cmd=status', headers: { 'x-api-key': KEY } });
  assert.equal(header.statusCode, 200);
  const bearer = await app.inject({ method: 'GET', url: '/cli?cmd=status', headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(bearer.statusCode, 200);
});

test('no key configured: 503 CLI_DISABLED', async (t) => {
  const { app } = await setup(t, {});
  const res = await app.inject({ method: 'GET', url: '/cli?key=anything&cmd=status' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'FREECTI_ERR_CLI_DISABLED');
});

test('dangerous commands are refused (403) with the single key, directly and through indirections', async (t) => {
  const { app, fs1 } = await setup(t);
  const attempts = [
    'cmd=system&arg=id',
    'cmd=bgapi&arg=system%20id',
    'cmd=bgapi&arg=originate%20user/1000%20%26system(id)',
    'cmd=sched_api&arg=%2B1%20none%20bg_system%20id',
    'cmd=expand&arg=status',
    'cmd=originate&arg=%7Bapi_on_answer%3Dsystem%20id%7Duser/1000%20%26park()',
    'cmd=cti_originate&arg=user/1000%20%27lua:x.lua%27%20inline',
    'cmd=fsctl&arg=shutdown',
  ];
  for (const q of attempts) {
    const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&${q}` });
    assert.equal(res.statusCode, 403, q);
    assert.equal(res.json().error.code, 'FREECTI_ERR_CLI_COMMAND_FORBIDDEN');
  }
  assert.deepEqual(sent(fs1), []);
});

test('a key granted system explicitly may run it; other commands stay refused for it', async (t) => {
  const { app, fs1 } = await setup(t);
  fs1.onApi('system', () => 'ok\n');
  const res = await app.inject({ method: 'GET', url: `/cli?key=${OPS_KEY}&cmd=system&arg=true` });
  assert.equal(res.statusCode, 200);
  const denied = await app.inject({ method: 'GET', url: `/cli?key=${OPS_KEY}&cmd=uuid_kill&arg=x` });
  assert.equal(denied.statusCode, 403);
  assert.match(denied.json().error.details.reason, /'uuid_kill' is not allowed for this key/);
});

test('bad input: line breaks, empty cmd, bad command name, too long → 400, nothing runs', async (t) => {
  const { app, fs1 } = await setup(t);
  for (const q of ['cmd=status&arg=x%0Aapi%20system%20id', 'cmd=status%0D%0A', 'cmd=', 'arg=x', 'cmd=a%20b', `cmd=status&arg=${'x'.repeat(9000)}`]) {
    const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&${q}` });
    assert.equal(res.statusCode, 400, q);
    assert.equal(res.json().error.code, 'FREECTI_ERR_BAD_REQUEST');
  }
  assert.deepEqual(sent(fs1), []);
});

test('node= picks the node; an unknown node is 404; FreeSWITCH down is 503', async (t) => {
  const { app, fs1, fs2, down } = await setup(t);
  const second = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=status&node=fs2` });
  assert.equal(second.headers['x-freecti-node'], 'fs2');
  assert.deepEqual(sent(fs2).map((c) => c.command), ['status']);
  const unknown = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=status&node=nope` });
  assert.equal(unknown.statusCode, 404);
  await down(fs1);
  const fallback = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=status` });
  assert.equal(fallback.headers['x-freecti-node'], 'fs2');
  await down(fs2);
  const none = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=status` });
  assert.equal(none.statusCode, 503);
  assert.equal(none.json().error.code, 'FREECTI_ERR_ESL_NOT_CONNECTED');
});

test('source CIDRs and rate limit per key (counted in Redis)', async (t) => {
  const { app, prefix } = await setup(t);
  const outside = await app.inject({ method: 'GET', url: '/cli?key=lan-key-0123456789abcdef&cmd=status' });
  assert.equal(outside.statusCode, 403);
  assert.equal(outside.json().error.code, 'FREECTI_ERR_CLI_SOURCE_FORBIDDEN');
  const inside = await app.inject({ method: 'GET', url: '/cli?key=lan-key-0123456789abcdef&cmd=status', remoteAddress: '10.1.2.3' });
  assert.equal(inside.statusCode, 200);
  const codes: number[] = [];
  for (let i = 0; i < 3; i++) codes.push((await app.inject({ method: 'GET', url: '/cli?key=slow-key-0123456789abcdef&cmd=status' })).statusCode);
  assert.deepEqual(codes, [200, 200, 429]);
  const counters = (await db.redis.keys(`${prefix}*`)).filter((key) => key.includes(':rate:slow:'));
  assert.equal(counters.length, 1, 'the window counter lives in Redis, not in the local fallback');
  assert.equal(await db.redis.get(counters[0]!), '3');
});

test('every call is audited (key id, ip, command, arguments, status, duration) and the key is never logged', async (t) => {
  const { app, logs } = await setup(t);
  await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=status` });
  await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=system&arg=id` });
  await app.inject({ method: 'GET', url: '/cli?key=wrong&cmd=status' });
  const audit = logs.filter((l) => l['audit'] === true);
  assert.equal(audit.length, 3);
  assert.deepEqual(
    audit.map((a) => [a['keyId'], a['cmd'], a['arg'], a['status'], a['result']]),
    [
      ['default', 'status', '', 200, '+OK'],
      ['default', 'system', 'id', 403, 'FREECTI_ERR_CLI_COMMAND_FORBIDDEN'],
      ['-', 'status', '', 401, 'FREECTI_ERR_UNAUTHORIZED'],
    ],
  );
  for (const a of audit) {
    assert.equal(a['ip'], '127.0.0.1');
    assert.equal(typeof a['durationMs'], 'number');
  }
  assert.ok(!JSON.stringify(logs).includes(KEY));
});

test('over a real socket: the seed example 2 URL, encoded as in the seed, runs cti_originate via bgapi', async (t) => {
  const { app, fs1 } = await setup(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const url =
      `http://127.0.0.1:${port}/cli?key=${KEY}&cmd=bgapi&arg=cti_originate%20%7Borigination_caller_id_number%3Dclicktocall%7Duser%2F121%20` +
      'export%3Arecord_filename%3D%24%24%7Brecordings_dir%7D%2F%24%7Bstrftime(%25Y-%25m-%25d)%7D%2F%24%7Buuid%7D.wav%2Crecord_session%3A%24%7Brecord_filename%7D%2Cbridge%3A%7Borigination_caller_id_number%3D121%7Duser%2F1380000000%20inline';
    const res = await request(url);
    const body = await res.body.text();
    assert.equal(res.statusCode, 200);
    assert.match(body, /^\+OK Job-UUID: [0-9a-f-]{36}\n$/);
    assert.equal(sent(fs1)[0]?.command, 'originate');
    assert.equal(
      sent(fs1)[0]?.args,
      '{origination_caller_id_number=clicktocall}user/121 export:record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav,record_session:${record_filename},bridge:{origination_caller_id_number=121}user/1380000000 inline',
    );
  } finally {
    await app.close();
  }
});

test('over a raw socket: the seed robot example typed unencoded (raw {}, quotes, %Y, +) reaches FreeSWITCH intact; UTF-8 percent-encoded', async (t) => {
  const { app, fs1 } = await setup(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    // Node's HTTP parser refuses raw bytes >= 0x80 in the request line (400 before freecti sees it): those are percent-encoded.
    const arg = "cti_originate+{ignore_early_media=true,origination_caller_id_number=1390000000,d=${strftime(%Y-%m-%d)}}user/1000+'cti_robot:" + encodeURIComponent('话术') + ",set:park_timeout=3600,park'+inline";
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET /cli?key=${KEY}&cmd=bgapi&arg=${arg} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'close');
    const response = Buffer.concat(chunks).toString('utf8');
    assert.match(response, /^HTTP\/1\.1 200 /);
    assert.equal(sent(fs1)[0]?.command, 'originate');
    assert.equal(
      sent(fs1)[0]?.args,
      "{ignore_early_media=true,origination_caller_id_number=1390000000,d=${strftime(%Y-%m-%d)}}user/1000 'cti_robot:话术,set:park_timeout=3600,park' inline",
    );
  } finally {
    await app.close();
  }
});

test('the key in the URL never reaches the logs, also when FreeSWITCH is down (the error handler logs the URL)', async (t) => {
  const { app, logs, fs1, fs2, down } = await setup(t);
  await down(fs1);
  await down(fs2);
  const failed = await app.inject({ method: 'GET', url: `/cli?cmd=status&key=${KEY}&arg=x` });
  assert.equal(failed.statusCode, 503);
  const warn = logs.find((l) => l['msg'] === 'request failed');
  assert.ok(warn !== undefined, 'the error handler logged the 503');
  assert.equal(warn['url'], '/cli?cmd=status&key=[redacted]&arg=x');
  assert.ok(!JSON.stringify(logs).includes(KEY));
});

test('/metrics counts CLI calls by outcome', async (t) => {
  const { app } = await setup(t);
  await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=status` });
  await app.inject({ method: 'GET', url: '/cli?key=wrong&cmd=status' });
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /freecti_cli_calls_total\{via="cli",result="\+OK"\} 1/);
  assert.match(metrics, /freecti_cli_calls_total\{via="cli",result="FREECTI_ERR_UNAUTHORIZED"\} 1/);
});
