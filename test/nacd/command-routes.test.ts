/**
 * The nacd commands over typed REST (docs/nacd.md "Commands over REST") against their /cli
 * form: real HTTP, real Redis, the real services (ACD engine, line groups, DID tables) and
 * the fake FreeSWITCH over TCP through the node pool. Each route must send exactly what
 * the /cli form sends, answer the same data, refuse what the key's policy refuses (403)
 * and bad input (400) with nothing sent, and be audited like /cli.
 */
import { test } from 'node:test';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { validateConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createServices, type Services } from '../../src/services.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { parseNacdCommand, type NacdCommand } from '../../src/fs-lang/nacd-commands.js';
import { checkedLines, commandLine } from '../../src/nacd/command-api.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { defaultApis, type ApiReply } from '../fake-freeswitch/api-defaults.js';
import { sentCommands, startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';

const KEY = 'nacd-rest-key-0123456789';
const VERSION_ONLY = 'nacd-version-only-key-0123';
const HOLD_ONLY = 'nacd-rest-hold-only-01234';
const ADMIN = 'nacd-rest-admin-key-012345';
const UNKNOWN_CALL = '6f2c1c1e-0000-4a4a-9b9b-0123456789ab';

let nodes: FakeNodes;
let services: Services;
let base: string;
let close: () => Promise<void> = async () => undefined;
/** Every log line of the app and services (JSON). */
const logs: Record<string, unknown>[] = [];

const db = useRedis({ afterStart: setup, beforeStop: async () => close() });

async function setup(): Promise<void> {
  nodes = await startFakeNodes('fs1');
  const config = validateConfig({
    redis: { url: db.server.url, keyPrefix: uniquePrefix('nacdrest') },
    admin: { keys: [ADMIN] },
    cli: {
      auditStreamMaxLen: 1000,
      keys: [
        { id: 'crm', key: KEY, allow: ['*'] },
        { id: 'version', key: VERSION_ONLY, allow: ['nacd_version'] },
        { id: 'hold', key: HOLD_ONLY, allow: ['nway_uuid_hold'] },
      ],
    },
    freeswitch: { nodes: nodes.nodes },
    acd: {
      queues: [{ name: 'support', strategy: 'top-down', tiers: [{ agent: 'alice', level: 1, position: 1 }] }],
      agents: [{ id: 'alice', contact: { type: 'dial', dialString: 'user/1001' }, state: 'on-break' }],
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('info', sink);
  const metrics = createMetrics({ defaultMetrics: false });
  const policy = new FsPolicy(config.security);
  services = createServices({ config, logger, redis: db.redis, pool: nodes.pool, metrics, policy });
  services.start();
  await services.acd.ready;
  const app = buildApp({ config, logger, redis: db.redis, pool: nodes.pool, metrics, version: '9.8.7', services, policy });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  close = async () => {
    await app.close();
    await services.close();
    await nodes.close();
  };
}

async function cli(cmd: string, arg = '', key = KEY): Promise<{ status: number; body: string }> {
  const res = await request(`${base}/cli?key=${key}&cmd=${cmd}&arg=${encodeURIComponent(arg)}`);
  return { status: res.statusCode, body: await res.body.text() };
}

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

async function rest(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, key = KEY): Promise<Answer> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text === '' ? undefined : JSON.parse(text) };
}

/** The commands the fake node received since `from`, as `kind command args`. */
function sentSince(from: number): string[] {
  return sentCommands(nodes.fakes[0]!).slice(from).map((c) => `${c.kind} ${c.command} ${c.args}`);
}

const sentCount = (): number => sentCommands(nodes.fakes[0]!).length;

test('every command form reads back through the one parser as itself; a value that would change the command is refused', () => {
  const uuid = 'a1b2c3d4-0000-4a4a-9b9b-0123456789ab';
  const forms: NacdCommand[] = [
    { name: 'nacd_version' },
    { name: 'nacd_max' },
    { name: 'nacd_max', line: { group: 'out', line: 'l1' } },
    { name: 'nacd_max', line: { group: 'out', line: 'l1' }, set: { limit: 'cps', value: 5 } },
    { name: 'nacd_max', line: { group: 'out', line: 'l1' }, set: { limit: 'concurrency', value: null } },
    { name: 'nacd', what: 'agent-list' },
    { name: 'nacd', what: 'queue-list' },
    { name: 'nacd', what: 'agent-status', id: 'alice' },
    { name: 'nacd', what: 'agent-login', id: 'alice' },
    { name: 'nacd', what: 'agent-logout', id: 'alice' },
    { name: 'nacd', what: 'agent-break', id: 'alice', reason: '' },
    { name: 'nacd', what: 'agent-break', id: 'alice', reason: 'lunch' },
    { name: 'nacd', what: 'queue-status', id: 'support' },
    { name: 'nway_uuid_hold', uuid, mode: 'on' },
    { name: 'nway_uuid_hold', uuid, mode: 'off' },
    { name: 'nway_uuid_hold', uuid, mode: 'toggle' },
    { name: 'nway_uuid_transfer', uuid, leg: '', destination: '2000' },
    { name: 'nway_uuid_transfer', uuid, leg: '-both', destination: '2000 XML default' },
    { name: 'nacd_transfer', uuid, group: '120' },
    { name: 'nway_threeway', uuid, target: 'sofia/gateway/gw1/13800001111' },
  ];
  for (const form of forms) {
    const lines = checkedLines(form);
    for (const line of lines) assert.deepEqual(parseNacdCommand(line.command, line.args), form, `${line.command} ${line.args}`);
  }
  assert.deepEqual(commandLine({ name: 'nway_uuid_hold', uuid, mode: 'off' }), { command: 'nway_uuid_unhold', args: uuid });
  assert.deepEqual(checkedLines({ name: 'nway_uuid_hold', uuid, mode: 'off' }).map((l) => l.command), ['nway_uuid_unhold', 'nway_uuid_hold']);
  // Values that would read back as another command, or not at all.
  assert.throws(() => checkedLines({ name: 'nacd', what: 'agent-break', id: 'alice lunch', reason: '' }), { code: 'FREECTI_ERR_BAD_REQUEST' });
  assert.throws(() => checkedLines({ name: 'nacd_max', line: { group: 'out', line: 'l1' }, set: { limit: 'cps', value: 0 } }), { code: 'FREECTI_ERR_BAD_REQUEST' });
  assert.throws(() => checkedLines({ name: 'nway_uuid_transfer', uuid, leg: '', destination: '1 2 3 4' }), { code: 'FREECTI_ERR_BAD_REQUEST' });
});

test('GET /api/v1/nacd/version answers what nacd_version answers; a key granted only nacd_version gets 403 everywhere else, with nothing sent', async () => {
  const viaCli = await cli('nacd_version', '', VERSION_ONLY);
  const res = await rest('GET', '/api/v1/nacd/version', undefined, VERSION_ONLY);
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { version: '9.8.7', reply: viaCli.body.replace(/\n$/, '') });

  const uuid = nodes.fakes[0]!.addChannel();
  const before = sentCount();
  for (const [method, path, body] of [
    ['GET', '/api/v1/nacd/limits', undefined],
    ['GET', '/api/v1/nacd/limits/out/l1', undefined],
    ['PUT', '/api/v1/nacd/limits/out/l1', { cps: 3 }],
    ['POST', `/api/v1/nacd/calls/${uuid}/hold`, { mode: 'on' }],
    ['POST', `/api/v1/nacd/calls/${uuid}/transfer`, { destination: '2000' }],
    ['POST', `/api/v1/nacd/calls/${uuid}/group`, { group: '120' }],
    ['POST', `/api/v1/nacd/calls/${uuid}/threeway`, { target: 'user/1003' }],
    ['POST', '/api/v1/nacd/originate', { agent: '1001', customer: '13800001111' }],
  ] as const) {
    const refused = await rest(method, path, body, VERSION_ONLY);
    assert.equal(refused.status, 403, `${method} ${path}`);
    assert.equal(refused.json.error.code, 'FREECTI_ERR_CLI_COMMAND_FORBIDDEN');
  }
  assert.deepEqual(sentSince(before), []);
  assert.equal((await rest('GET', '/api/v1/nacd/version', undefined, 'wrong-key-0123456789')).status, 401);
  assert.equal((await rest('GET', '/api/v1/nacd/version', undefined, ADMIN)).status, 200, 'an admin key may use the typed API');
});

test('limits: GET and PUT answer what nacd_max answers and change the stored line group the same way (compare-and-set); 404 and 400 as the command', async () => {
  const put = await request(`${base}/api/v1/linegroups/out`, {
    method: 'PUT',
    headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify({ lines: [{ id: 'l1', gateway: 'gw1', cps: 10 }, { id: 'l2', gateway: 'gw2', maxConcurrent: 3 }] }),
  });
  assert.equal(put.statusCode, 201, await put.body.text());

  let res = await rest('GET', '/api/v1/nacd/limits');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, JSON.parse((await cli('nacd_max')).body));
  assert.deepEqual(res.json, { lines: [{ group: 'out', line: 'l1', cps: 10, concurrency: null }, { group: 'out', line: 'l2', cps: null, concurrency: 3 }] });
  res = await rest('GET', '/api/v1/nacd/limits/out/l2');
  assert.deepEqual(res.json, JSON.parse((await cli('nacd_max', 'out/l2')).body));

  res = await rest('PUT', '/api/v1/nacd/limits/out/l1', { cps: 5 });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { group: 'out', line: 'l1', cps: 5, concurrency: null });
  res = await rest('PUT', '/api/v1/nacd/limits/out/l2', { cps: 7, concurrency: null });
  assert.deepEqual(res.json, { group: 'out', line: 'l2', cps: 7, concurrency: null });
  // The same change over /cli answers the same row.
  assert.equal((await cli('nacd_max', 'out/l2 cps 7')).body, `+OK ${JSON.stringify(res.json)}\n`);
  const stored = await services.linegroups.store.get('out');
  assert.equal(stored.lines[0]?.cps, 5);
  assert.equal(stored.lines[1]?.cps, 7);
  assert.equal(stored.lines[1]?.maxConcurrent, undefined);
  assert.equal(stored.lines[1]?.gateway, 'gw2', 'the rest of the group is kept');

  for (const path of ['/api/v1/nacd/limits/out/l9', '/api/v1/nacd/limits/nogroup/l1']) {
    const missing = await rest('GET', path);
    assert.equal(missing.status, 404, path);
    assert.equal(missing.json.error.code, 'FREECTI_ERR_NOT_FOUND');
    assert.equal(missing.json.error.details.reply, (await cli('nacd_max', path.slice('/api/v1/nacd/limits/'.length))).body.replace(/\n$/, ''));
  }
  assert.equal((await rest('PUT', '/api/v1/nacd/limits/out/l9', { cps: 2 })).status, 404);
  for (const [path, body] of [
    ['/api/v1/nacd/limits/out/l1', { cps: 0 }],
    ['/api/v1/nacd/limits/out/l1', { cps: 100_001 }],
    ['/api/v1/nacd/limits/out/l1', { concurrency: 1.5 }],
    ['/api/v1/nacd/limits/out/l1', { cps: '3' }],
    ['/api/v1/nacd/limits/out/l1', {}],
    ['/api/v1/nacd/limits/out/l1', { cps: 3, speed: 1 }],
    ['/api/v1/nacd/limits/o%20ut/l1', { cps: 3 }],
    ['/api/v1/nacd/limits/out/l%201', { cps: 3 }],
  ] as const) {
    const bad = await rest('PUT', path, body);
    assert.equal(bad.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(bad.json)}`);
  }
  assert.equal((await services.linegroups.store.get('out')).lines[0]?.cps, 5, 'a refused change changes nothing');
});

test('hold / unhold / toggle: the same uuid_hold as nway_uuid_hold; mode off needs nway_uuid_unhold or nway_uuid_hold, as over /cli', async () => {
  const uuid = nodes.fakes[0]!.addChannel();
  let from = sentCount();
  for (const arg of [uuid, `off ${uuid}`, `toggle ${uuid}`]) {
    assert.equal((await cli('nway_uuid_hold', arg)).body, '+OK Success\n');
  }
  const viaCli = sentSince(from);
  from = sentCount();
  const answers = [];
  for (const mode of ['on', 'off', 'toggle'] as const) answers.push(await rest('POST', `/api/v1/nacd/calls/${uuid}/hold`, { mode }));
  assert.deepEqual(sentSince(from), viaCli);
  assert.deepEqual(viaCli, [`api uuid_hold ${uuid}`, `api uuid_hold off ${uuid}`, `api uuid_hold toggle ${uuid}`]);
  assert.deepEqual(answers.map((a) => [a.status, a.json.reply, a.json.mode]), [[200, '+OK Success', 'on'], [200, '+OK Success', 'off'], [200, '+OK Success', 'toggle']]);
  // uuid_hold answers +OK for a call FreeSWITCH does not know (observation 21): both forms pass it on.
  assert.equal((await cli('nway_uuid_hold', UNKNOWN_CALL)).body, '+OK Success\n');
  assert.deepEqual((await rest('POST', `/api/v1/nacd/calls/${UNKNOWN_CALL}/hold`, { mode: 'on' })).json, { uuid: UNKNOWN_CALL, mode: 'on', reply: '+OK Success' });
  // No body is mode on.
  from = sentCount();
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/hold`)).status, 200);
  assert.deepEqual(sentSince(from), [`api uuid_hold ${uuid}`]);
  // The hold-only key (nway_uuid_hold, not nway_uuid_unhold) may unhold, as with `nway_uuid_hold off` over /cli.
  assert.equal((await cli('nway_uuid_unhold', uuid, HOLD_ONLY)).status, 403);
  assert.equal((await cli('nway_uuid_hold', `off ${uuid}`, HOLD_ONLY)).status, 200);
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/hold`, { mode: 'off' }, HOLD_ONLY)).status, 200);
  // Bad input: 400, nothing sent.
  from = sentCount();
  for (const [path, body] of [
    [`/api/v1/nacd/calls/${uuid}/hold`, { mode: 'pause' }],
    [`/api/v1/nacd/calls/${uuid}/hold`, { mode: 'on', extra: 1 }],
    ['/api/v1/nacd/calls/x%3By/hold', { mode: 'on' }],
    ['/api/v1/nacd/calls/short/hold', { mode: 'on' }],
  ] as const) {
    assert.equal((await rest('POST', path, body)).status, 400, `${path} ${JSON.stringify(body)}`);
  }
  assert.deepEqual(sentSince(from), []);
});

test('transfer: the same uuid_transfer as nway_uuid_transfer with the ACD bookkeeping; 404 for a call FreeSWITCH does not know; the policy refuses what it refuses over /cli', async () => {
  const fake = nodes.fakes[0]!;
  const uuid = fake.addChannel();
  let from = sentCount();
  assert.equal((await cli('nway_uuid_transfer', `${uuid} 2000 XML default`)).body, '+OK\n');
  assert.equal((await cli('nway_uuid_transfer', `${uuid} -both 3000`)).body, '+OK\n');
  assert.equal((await cli('nway_uuid_transfer', `${uuid} -bleg park inline`)).body, '+OK\n');
  const viaCli = sentSince(from);
  from = sentCount();
  const answers = [
    await rest('POST', `/api/v1/nacd/calls/${uuid}/transfer`, { destination: '2000', context: 'default' }),
    await rest('POST', `/api/v1/nacd/calls/${uuid}/transfer`, { leg: 'both', destination: '3000' }),
    await rest('POST', `/api/v1/nacd/calls/${uuid}/transfer`, { leg: 'bleg', destination: 'park', dialplan: 'inline' }),
  ];
  assert.deepEqual(sentSince(from), viaCli);
  assert.deepEqual(viaCli, [`api uuid_transfer ${uuid} 2000 XML default`, `api uuid_transfer ${uuid} -both 3000`, `api uuid_transfer ${uuid} -bleg park inline`]);
  assert.deepEqual(answers.map((a) => [a.status, a.json]), [[200, { uuid, reply: '+OK' }], [200, { uuid, reply: '+OK' }], [200, { uuid, reply: '+OK' }]]);

  // ACD bookkeeping: a waiting caller leaves its queue (alice is on break, the queue stays open).
  const queued = await services.acd.engine.enqueue({ queue: 'support', callUuid: uuid, node: 'fs1', callerIdNumber: '1000', callerIdName: 'x' });
  assert.equal(queued.status, 'queued');
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/transfer`, { destination: '2000' })).status, 200);
  assert.equal(await services.acd.engine.position(uuid), null, 'the caller left the queue');
  assert.equal(JSON.parse((await cli('nacd', 'queue status support')).body).waiting, 0);

  // FreeSWITCH does not know the call: /cli answers its text, REST 404 with it.
  assert.equal((await cli('nway_uuid_transfer', `${UNKNOWN_CALL} 2000`)).body, '-ERR No such channel!\n');
  const gone = await rest('POST', `/api/v1/nacd/calls/${UNKNOWN_CALL}/transfer`, { destination: '2000' });
  assert.equal(gone.status, 404);
  assert.equal(gone.json.error.code, 'FREECTI_ERR_CALL_NOT_FOUND');
  assert.equal(gone.json.error.details.reply, '-ERR No such channel!');

  // The policy: no socket in an inline transfer (403 with the reason, as over /cli).
  from = sentCount();
  const socket = await rest('POST', `/api/v1/nacd/calls/${uuid}/transfer`, { destination: 'set:a=b,socket:127.0.0.1:8084', dialplan: 'inline' });
  assert.equal(socket.status, 403);
  assert.match(socket.json.error.details.reason, /socket/);
  assert.equal((await cli('nway_uuid_transfer', `${uuid} set:a=b,socket:127.0.0.1:8084 inline`)).status, 403);
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/transfer`, { destination: '2000' }, HOLD_ONLY)).status, 403);
  // Bad input: 400.
  for (const body of [{ destination: '2000 XML' }, { destination: "'2000'" }, { destination: '' }, {}, { destination: '2000', leg: 'a' }, { destination: '2000', context: 'de fault' }, { destination: '2000', dialplan: 'X;ML' }]) {
    assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/transfer`, body)).status, 400, JSON.stringify(body));
  }
  assert.deepEqual(sentSince(from), []);
});

test('group: the same hand-off to the outbound socket as nacd_transfer; 404 for an unknown call, 400 for a group that is not a group number', async () => {
  const uuid = nodes.fakes[0]!.addChannel();
  let from = sentCount();
  assert.equal((await cli('nacd_transfer', `${uuid} 120`)).body, '+OK\n');
  const viaCli = sentSince(from);
  from = sentCount();
  const res = await rest('POST', `/api/v1/nacd/calls/${uuid}/group`, { group: '120' });
  assert.deepEqual(res, { status: 200, json: { uuid, group: '120', reply: '+OK' } });
  assert.deepEqual(sentSince(from), viaCli);
  assert.deepEqual(viaCli, [`api uuid_transfer ${uuid} 'set:nacd_group=120,socket:127.0.0.1:8084 async full' inline`]);
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${UNKNOWN_CALL}/group`, { group: '120' })).status, 404);
  from = sentCount();
  for (const group of ['120,socket:10.0.0.1:9', "120'", '120 extra', '', 'a/b']) {
    assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/group`, { group })).status, 400, group);
  }
  assert.deepEqual(sentSince(from), []);
});

test('threeway: the same checks and originate as nway_threeway; 404 for a call not on the node; 400 for a target that is not one dial string, nothing sent', async () => {
  const fake = nodes.fakes[0]!;
  const uuid = fake.addChannel();
  // FreeSWITCH answers a successful originate `+OK <uuid of the new leg>` (the fake's default is USER_NOT_REGISTERED for user/).
  const original = defaultApis().get('originate') as ApiReply;
  fake.onApi('originate', (args, ctx) => (args.includes(`&three_way(${uuid})`) ? '+OK 0d5c1f3e-1111-4a4a-9b9b-0123456789ab\n' : typeof original === 'string' ? original : original(args, ctx)));
  let from = sentCount();
  const viaCliText = (await cli('nway_threeway', `${uuid} user/1003`)).body;
  assert.equal(viaCliText, '+OK 0d5c1f3e-1111-4a4a-9b9b-0123456789ab\n');
  const viaCli = sentSince(from);
  assert.ok(viaCli.some((c) => c.includes('originate') && c.includes(`three_way(${uuid})`)), viaCli.join('\n'));
  from = sentCount();
  const res = await rest('POST', `/api/v1/nacd/calls/${uuid}/threeway`, { target: 'user/1003' });
  assert.deepEqual(sentSince(from), viaCli);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual(res.json, { uuid, target: 'user/1003', reply: viaCliText.replace(/\n$/, '') });
  fake.onApi('originate', original);
  // The third party does not answer: /cli gives FreeSWITCH's text, REST 502 with it.
  from = sentCount();
  assert.equal((await cli('nway_threeway', `${uuid} user/1003`)).body, '-ERR USER_NOT_REGISTERED\n');
  const cliFailed = sentSince(from);
  from = sentCount();
  const failed = await rest('POST', `/api/v1/nacd/calls/${uuid}/threeway`, { target: 'user/1003' });
  assert.equal(failed.status, 502);
  assert.equal(failed.json.error.code, 'FREECTI_ERR_CALL_CONTROL_FAILED');
  assert.equal(failed.json.error.details.reply, '-ERR USER_NOT_REGISTERED');
  assert.deepEqual(sentSince(from), cliFailed);

  from = sentCount();
  const cliGone = await cli('nway_threeway', `${UNKNOWN_CALL} user/1003`);
  assert.match(cliGone.body, /^-ERR no call/);
  const cliSent = sentSince(from);
  from = sentCount();
  const gone = await rest('POST', `/api/v1/nacd/calls/${UNKNOWN_CALL}/threeway`, { target: 'user/1003' });
  assert.equal(gone.status, 404);
  assert.equal(gone.json.error.code, 'FREECTI_ERR_CALL_NOT_FOUND');
  assert.deepEqual(sentSince(from), cliSent);

  from = sentCount();
  for (const target of ['user/1003 &park()', '{a=b}user/1003', "'user/1003'", '']) {
    assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/threeway`, { target })).status, 400, target);
  }
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/threeway`, { target: 'user/1003' }, HOLD_ONLY)).status, 403);
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/threeway`, { target: 'user/1003' }, VERSION_ONLY)).status, 403);
  assert.deepEqual(sentSince(from), []);
});

test('originate: the agent first, then the customer through the DID-out entry, as /cli `bgapi noriginate` sends it; 400 without an entry, nothing sent', async () => {
  const did = await request(`${base}/api/v1/nacd/did/out/1002`, { method: 'PUT', headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' }, body: JSON.stringify({ callerId: '4008005678', gateway: 'gw9' }) });
  assert.equal(did.statusCode, 201, await did.body.text());
  const fake = nodes.fakes[0]!;

  let from = sentCount();
  const res = await rest('POST', '/api/v1/nacd/originate', { agent: '1002', customer: '13900002222' });
  assert.equal(res.status, 202, JSON.stringify(res.json));
  assert.equal(res.json.node, 'fs1');
  const sent = sentCommands(fake).slice(from);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.jobUuid, res.json.jobUuid);
  const agentLeg = `{origination_uuid=${res.json.uuid},origination_caller_id_number=13900002222,ignore_early_media=true,originate_timeout=30}user/1002`;
  assert.equal(sent[0]?.kind, 'bgapi');
  assert.equal(sent[0]?.command, 'originate');
  assert.ok(sent[0]?.args.startsWith(`${agentLeg} &bridge([`), sent[0]?.args);
  assert.match(sent[0]?.args ?? '', /\[[^\]]*origination_caller_id_number=4008005678[^\]]*\]sofia\/gateway\/gw9\/13900002222\)$/, 'the DID-out caller id and gateway');
  // /cli's bgapi noriginate with the same words sends the same originate.
  from = sentCount();
  const viaCli = await cli('bgapi', `noriginate ${agentLeg} &bridge(nout/1002/13900002222)`);
  assert.match(viaCli.body, /^\+OK Job-UUID: /);
  assert.deepEqual(sentSince(from), [`bgapi originate ${sent[0]?.args}`]);

  // extension, caller ids and ring time.
  from = sentCount();
  const other = await rest('POST', '/api/v1/nacd/originate', { agent: '1001', extension: '1002', customer: '+13900003333', agentCallerId: '555', customerCallerId: '777', timeoutSeconds: 20 });
  assert.equal(other.status, 202);
  const otherLeg = `{origination_uuid=${other.json.uuid},origination_caller_id_number=555,ignore_early_media=true,originate_timeout=20}user/1001`;
  const otherSent = sentSince(from);
  from = sentCount();
  assert.match((await cli('bgapi', `noriginate ${otherLeg} &bridge([origination_caller_id_number=777]nout/1002/+13900003333)`)).body, /^\+OK Job-UUID: /);
  assert.deepEqual(sentSince(from), otherSent);
  assert.equal(otherSent.length, 1);
  assert.ok(otherSent[0]?.startsWith(`bgapi originate ${otherLeg} &bridge([origination_caller_id_number=777`), otherSent[0] ?? '');
  assert.ok(otherSent[0]?.endsWith(']sofia/gateway/gw9/+13900003333)'), otherSent[0] ?? '');

  // No DID-out entry for the extension: 400 naming it, as /cli; nothing sent.
  from = sentCount();
  const none = await rest('POST', '/api/v1/nacd/originate', { agent: '1003', customer: '13800001111' });
  assert.equal(none.status, 400);
  assert.match(none.json.error.message, /extension '1003' has no DID-out entry/);
  for (const body of [
    { agent: '1002' },
    { agent: '1002', customer: '1380000,1111' },
    { agent: '10 02', customer: '13800001111' },
    { agent: '1002', customer: '13800001111', timeoutSeconds: 0 },
    { agent: '1002', customer: '13800001111', gateway: 'gw1' },
    { agent: '1002', customer: '13800001111', customerCallerId: '${x}' },
  ]) {
    assert.equal((await rest('POST', '/api/v1/nacd/originate', body)).status, 400, JSON.stringify(body));
  }
  assert.equal((await rest('POST', '/api/v1/nacd/originate', { agent: '1002', customer: '13800001111' }, HOLD_ONLY)).status, 403);
  assert.deepEqual(sentSince(from), []);
});

test('every call is audited like /cli: the route, the /cli command and arguments, the outcome', async () => {
  const stream = services.cli.audit.streamKey();
  await db.redis.del(stream);
  const uuid = nodes.fakes[0]!.addChannel();
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/hold`, { mode: 'toggle' })).status, 200);
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${uuid}/group`, { group: '120' }, VERSION_ONLY)).status, 403);
  assert.equal((await rest('POST', `/api/v1/nacd/calls/${UNKNOWN_CALL}/transfer`, { destination: '2000' })).status, 404);
  assert.equal((await rest('GET', '/api/v1/nacd/version', undefined, 'wrong-key-0123456789')).status, 401);
  // XADD goes out on the services' Redis connection (this one) before each reply is sent, so it is read in order.
  const rows = await db.redis.xrange(stream, '-', '+');
  const records = rows.map(([, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
    return [f['keyId'], f['via'], f['cmd'], f['arg'], f['status'], f['result']];
  });
  assert.deepEqual(records, [
    ['crm', 'nacd-hold', 'nway_uuid_hold', `toggle ${uuid}`, '200', '+OK'],
    ['version', 'nacd-group', 'nacd_transfer', `${uuid} 120`, '403', 'FREECTI_ERR_CLI_COMMAND_FORBIDDEN'],
    ['crm', 'nacd-transfer', 'nway_uuid_transfer', `${UNKNOWN_CALL} 2000`, '404', 'FREECTI_ERR_CALL_NOT_FOUND'],
    ['-', 'nacd-version', 'nacd_version', '', '401', 'FREECTI_ERR_UNAUTHORIZED'],
  ]);
});

test('?key= works on the nacd routes and is redacted from the URL the logs see', async () => {
  const res = await request(`${base}/api/v1/nacd/version?key=${VERSION_ONLY}`);
  assert.equal(res.statusCode, 200);
  await res.body.text();
  // A 5xx is logged with its URL: a third party that does not answer (the fake: USER_NOT_REGISTERED) is 502.
  const uuid = nodes.fakes[0]!.addChannel();
  const failed = await request(`${base}/api/v1/nacd/calls/${uuid}/threeway?key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ target: 'user/1003' }) });
  assert.equal(failed.statusCode, 502);
  await failed.body.text();
  assert.ok(logs.some((l) => l['url'] === `/api/v1/nacd/calls/${uuid}/threeway?key=[redacted]`), 'the failed request is logged, its key redacted');
  assert.ok(!JSON.stringify(logs).includes(VERSION_ONLY));
  assert.ok(!JSON.stringify(logs).includes(KEY));
});

test('the OpenAPI document has every nacd command route with its request schema', async () => {
  const res = await request(`${base}/openapi.json`);
  const doc = (await res.body.json()) as { paths: Record<string, Record<string, { operationId?: string; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
  const ops: [string, string, string][] = [
    ['/api/v1/nacd/version', 'get', 'nacdVersion'],
    ['/api/v1/nacd/limits', 'get', 'nacdListLimits'],
    ['/api/v1/nacd/limits/{group}/{line}', 'get', 'nacdGetLimits'],
    ['/api/v1/nacd/limits/{group}/{line}', 'put', 'nacdSetLimits'],
    ['/api/v1/nacd/calls/{uuid}/hold', 'post', 'nacdHold'],
    ['/api/v1/nacd/calls/{uuid}/transfer', 'post', 'nacdTransfer'],
    ['/api/v1/nacd/calls/{uuid}/group', 'post', 'nacdTransferToGroup'],
    ['/api/v1/nacd/calls/{uuid}/threeway', 'post', 'nacdThreeway'],
    ['/api/v1/nacd/originate', 'post', 'nacdOriginate'],
  ];
  for (const [path, method, id] of ops) assert.equal(doc.paths[path]?.[method]?.operationId, id, `${method} ${path}`);
  const props = (path: string): string[] => Object.keys(doc.paths[path]?.['post']?.requestBody?.content['application/json']?.schema.properties ?? {}).sort();
  assert.deepEqual(props('/api/v1/nacd/calls/{uuid}/transfer'), ['context', 'destination', 'dialplan', 'leg']);
  assert.deepEqual(props('/api/v1/nacd/originate'), ['agent', 'agentCallerId', 'customer', 'customerCallerId', 'extension', 'timeoutSeconds']);
  assert.deepEqual(props('/api/v1/nacd/calls/{uuid}/hold'), ['mode']);
  // The limits' bounds are in the schema, as nacd_max's parser holds them (1..100000 cps, 1..1000000 at once).
  const limits = JSON.stringify(doc.paths['/api/v1/nacd/limits/{group}/{line}']?.['put']?.requestBody?.content['application/json']?.schema ?? {});
  assert.match(limits, /"maximum":100000\b/);
  assert.match(limits, /"maximum":1000000\b/);
});
