/**
 * The nacd commands freecti runs itself over /cli (docs/nacd.md "Commands"): real HTTP,
 * real Redis, the ACD engine and line groups of the real services, and the fake
 * FreeSWITCH over TCP through the node pool (its uuid_hold / uuid_transfer replies are
 * the recorded ones, test/fake-freeswitch/api-control.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { validateConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createServices, type Services } from '../../src/services.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { parseNacdCommand } from '../../src/fs-lang/nacd-commands.js';
import { socketHandoff, type SocketHandoff } from '../../src/fs-lang/handoff.js';
import { KeyGrants } from '../../src/auth/key-grants.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { sentCommands, startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';
import { NacdCommands } from '../../src/nacd/commands.js';
import { translateCtiOriginate } from '../../src/originate/translate.js';
import { agent, harness, queue } from '../acd/helpers.js';

const KEY = 'nacd-cli-key-0123456789';
const HOLD_ONLY = 'nacd-hold-only-key-012345';
const ADMIN = 'nacd-admin-key-0123456789';

let nodes: FakeNodes;
let services: Services;
let base: string;
let close: () => Promise<void> = async () => undefined;

const db = useRedis({ afterStart: setup, beforeStop: async () => close() });

async function setup(): Promise<void> {
  nodes = await startFakeNodes('fs1');
  const config = validateConfig({
    redis: { url: db.server.url, keyPrefix: uniquePrefix('nacdcmd') },
    admin: { keys: [ADMIN] },
    cli: { keys: [{ id: 'crm', key: KEY, allow: ['*'] }, { id: 'hold', key: HOLD_ONLY, allow: ['nway_uuid_hold', 'nway_uuid_unhold'] }] },
    freeswitch: { nodes: nodes.nodes },
    acd: {
      queues: [{ name: 'support', strategy: 'top-down', tiers: [{ agent: 'alice', level: 1, position: 1 }] }],
      agents: [{ id: 'alice', contact: { type: 'dial', dialString: 'user/1001' }, state: 'logged-out' }],
    },
  });
  const logger = createLogger('silent');
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

async function cli(cmd: string, arg = '', key = KEY): Promise<{ status: number; body: string; result: string | undefined }> {
  const res = await request(`${base}/cli?key=${key}&cmd=${cmd}&arg=${encodeURIComponent(arg)}`);
  return { status: res.statusCode, body: await res.body.text(), result: res.headers['x-freecti-result'] as string | undefined };
}

test('nacd_version answers freecti\'s version; under bgapi it is a clear 400', async () => {
  const res = await cli('nacd_version');
  assert.equal(res.status, 200);
  assert.match(res.body, /^freecti 9\.8\.7 \(nacd commands: .*nway_uuid_transfer\)\n$/);
  assert.equal((await cli('nacd_version', 'extra')).status, 403, 'an argument is refused by the parser');
  const bg = await cli('bgapi', 'nacd_version');
  assert.equal(bg.status, 400);
  assert.match(bg.body, /runs inside freecti/);
});

test('nacd_max reads and changes a line\'s limits in the stored line group; the REST view and the resolver see the change', async () => {
  const put = await request(`${base}/api/v1/linegroups/out`, {
    method: 'PUT',
    headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify({ lines: [{ id: 'l1', gateway: 'gw1', cps: 10 }, { id: 'l2', gateway: 'gw2', maxConcurrent: 3 }] }),
  });
  assert.equal(put.statusCode, 201, await put.body.text());
  let res = await cli('nacd_max');
  assert.deepEqual(JSON.parse(res.body), { lines: [{ group: 'out', line: 'l1', cps: 10, concurrency: null }, { group: 'out', line: 'l2', cps: null, concurrency: 3 }] });
  res = await cli('nacd_max', 'out/l1 cps 5');
  assert.equal(res.body, '+OK {"group":"out","line":"l1","cps":5,"concurrency":null}\n');
  res = await cli('nacd_max', 'out/l2 concurrency none');
  assert.equal(res.body, '+OK {"group":"out","line":"l2","cps":null,"concurrency":null}\n');
  res = await cli('nacd_max', 'out/l1 concurrency 7');
  assert.equal(res.body, '+OK {"group":"out","line":"l1","cps":5,"concurrency":7}\n');
  const stored = await services.linegroups.store.get('out');
  assert.equal(stored.lines[0]?.cps, 5);
  assert.equal(stored.lines[0]?.maxConcurrent, 7);
  assert.equal(stored.lines[1]?.maxConcurrent, undefined);
  assert.equal(stored.lines[1]?.gateway, 'gw2', 'the rest of the group is kept');
  res = await cli('nacd_max', 'out/l1');
  assert.deepEqual(JSON.parse(res.body), { group: 'out', line: 'l1', cps: 5, concurrency: 7 });
  res = await cli('nacd_max', 'out/l9 cps 2');
  assert.equal(res.body, "-ERR no line 'l9' in group 'out'\n");
  assert.equal(res.result, 'err');
  assert.equal((await cli('nacd_max', 'nogroup/l1')).body, "-ERR no line 'l1' in group 'nogroup'\n");
  for (const bad of ['out/l1 cps 0', 'out/l1 cps -1', 'out/l1 speed 3', 'out cps 3', 'out/l1 cps 3 4', 'out/l1 cps 100001']) {
    const refused = await cli('nacd_max', bad);
    assert.equal(refused.status, 403, `${bad}: ${refused.body}`);
  }
  assert.equal((await services.linegroups.store.get('out')).lines[0]?.cps, 5, 'a refused change changes nothing');
});

test('nacd agent/queue: status and control over the ACD engine', async () => {
  let res = await cli('nacd', 'agent list');
  assert.deepEqual(JSON.parse(res.body).agents.map((a: { id: string; status: { state: string } }) => [a.id, a.status.state]), [['alice', 'logged-out']]);
  assert.equal((await cli('nacd', 'agent login alice')).body, '+OK alice available\n');
  assert.equal((await services.acd.engine.agentStatus('alice'))?.state, 'available');
  assert.equal((await cli('nacd', 'agent break alice lunch')).body, '+OK alice on-break\n');
  res = await cli('nacd', 'agent status alice');
  assert.equal(JSON.parse(res.body).state, 'on-break');
  assert.equal(JSON.parse(res.body).reason, 'lunch');
  assert.equal((await cli('nacd', 'agent status bob')).body, "-ERR no agent 'bob'\n");
  assert.deepEqual(JSON.parse((await cli('nacd', 'queue list')).body), { queues: ['support'] });
  res = await cli('nacd', 'queue status support');
  assert.deepEqual(JSON.parse(res.body), { queue: 'support', strategy: 'top-down', waiting: 0, callers: [], tiers: [{ agent: 'alice', level: 1, position: 1 }] });
  assert.equal((await cli('nacd', 'queue status nope')).body, "-ERR no queue 'nope'\n");
  for (const bad of ['', 'agent', 'agent fly alice', 'agent login', 'agent login a;b', 'queue status', 'queue drop support', 'agent break alice lunch extra']) {
    assert.equal((await cli('nacd', bad)).status, 403, bad);
  }
  assert.equal((await cli('nacd', 'agent logout alice')).body, '+OK alice logged-out\n');
});

test('nway_uuid_hold / unhold / transfer: the FreeSWITCH command they become, checked by the policy; a transferred ACD caller leaves its queue', async () => {
  const fake = nodes.fakes[0]!;
  const uuid = fake.addChannel();
  const before = sentCommands(fake).length;
  assert.equal((await cli('nway_uuid_hold', uuid)).body, '+OK Success\n');
  assert.equal((await cli('nway_uuid_unhold', uuid, HOLD_ONLY)).body, '+OK Success\n');
  assert.equal((await cli('nway_uuid_hold', `toggle ${uuid}`)).body, '+OK Success\n');
  assert.deepEqual(sentCommands(fake).slice(before).map((c) => `${c.kind} ${c.command} ${c.args}`), [`api uuid_hold ${uuid}`, `api uuid_hold off ${uuid}`, `api uuid_hold toggle ${uuid}`]);

  // An ACD caller waiting in 'support' (alice on break keeps the queue open).
  assert.equal((await cli('nacd', 'agent break alice')).body, '+OK alice on-break\n');
  const queued = await services.acd.engine.enqueue({ queue: 'support', callUuid: uuid, node: 'fs1', callerIdNumber: '1000', callerIdName: 'x' });
  assert.equal(queued.status, 'queued');
  assert.equal(JSON.parse((await cli('nacd', 'queue status support')).body).waiting, 1);
  const res = await cli('nway_uuid_transfer', `${uuid} 2000 XML default`);
  assert.equal(res.body, '+OK\n', res.body);
  assert.equal(sentCommands(fake).at(-1)?.args, `${uuid} 2000 XML default`);
  assert.equal(JSON.parse((await cli('nacd', 'queue status support')).body).waiting, 0, 'the caller left the queue');
  assert.equal(await services.acd.engine.position(uuid), null);

  // FreeSWITCH's own refusal comes back as its text.
  const gone = await cli('nway_uuid_transfer', '6f2c1c1e-0000-4a4a-9b9b-0123456789ab 2000');
  assert.equal(gone.body, '-ERR No such channel!\n');
  assert.equal(gone.result, 'err');
});

test('the policy: grants, parse errors and what the translated command may do', async () => {
  const uuid = nodes.fakes[0]!.addChannel();
  // The hold-only key may not transfer or read the ACD.
  assert.equal((await cli('nway_uuid_transfer', `${uuid} 2000`, HOLD_ONLY)).status, 403);
  assert.equal((await cli('nacd', 'agent list', HOLD_ONLY)).status, 403);
  // The destination is checked like uuid_transfer's: no socket in an inline transfer.
  const socket = await cli('nway_uuid_transfer', `${uuid} set:a=b,socket:127.0.0.1:8084 inline`);
  assert.equal(socket.status, 403);
  assert.match(JSON.parse(socket.body).error.details.reason, /socket/);
  assert.equal((await cli('nway_uuid_hold', 'x;y')).status, 403);
  assert.equal((await cli('nway_uuid_hold', `${uuid} extra`)).status, 403);
  assert.equal((await cli('nway_uuid_transfer', uuid)).status, 403, 'no destination');
  // The policy as a unit: the same parse the runner uses.
  const grants = new KeyGrants(['nway_uuid_transfer'], new FsPolicy());
  assert.equal(grants.check('nway_uuid_transfer', `${uuid} -bleg park inline`).allowed, true);
  assert.equal(grants.check('nway_uuid_transfer', `${uuid} 2000 XML other`).allowed, true, 'a key may transfer to any context, as with uuid_transfer');
  assert.equal(grants.check('uuid_transfer', `${uuid} 2000`).allowed, false, 'the nacd grant is not uuid_transfer');
  assert.deepEqual(parseNacdCommand('nway_uuid_transfer', `${uuid} -both 'a:b c' inline`), { name: 'nway_uuid_transfer', uuid, leg: '-both', destination: "'a:b c' inline" });
  assert.deepEqual(parseNacdCommand('nacd_max', 'grp/line-1 cps none'), { name: 'nacd_max', line: { group: 'grp', line: 'line-1' }, set: { limit: 'cps', value: null } });
});

test('nway_uuid_transfer of a caller an agent talks to ends the call for the agent (ACD bookkeeping on the engine)', async () => {
  const h = harness(db.redis, uniquePrefix('nacdxfer'));
  await queue(h.engine, 'q1', { strategy: 'top-down' });
  await agent(h.engine, 'bob', {}, { q1: [1, 1] });
  await h.engine.setAgentState('bob', 'available');
  const fake = nodes.fakes[0]!;
  const uuid = fake.addChannel();
  assert.equal((await h.engine.enqueue({ queue: 'q1', callUuid: uuid, node: 'fs1', callerIdNumber: '1000', callerIdName: 'x' })).status, 'queued');
  await h.engine.tick();
  const offer = h.offers.at(-1);
  assert.ok(offer !== undefined && offer.callUuid === uuid, 'bob is offered the caller');
  assert.equal((await h.engine.offerAnswered(offer.offerId, offer.fencingToken, 'agent-leg-1', 'fs1')).ok, true);
  assert.equal((await h.engine.agentStatus('bob'))?.state, 'in-call');
  const commands = new NacdCommands({ acd: h.engine, linegroups: services.linegroups.store, didOut: services.nacd.did.out, policy: new FsPolicy(), socket: '127.0.0.1:8084' });
  assert.equal(await commands.run('nway_uuid_transfer', `${uuid} 3000 XML default`, () => nodes.pool.get('fs1'), 'v'), '+OK\n');
  const bob = await h.engine.agentStatus('bob');
  assert.notEqual(bob?.state, 'in-call', 'the agent is out of the call');
  assert.equal(bob?.callUuid, null);
  // Hold keeps the call the agent's: nothing changes in the ACD.
  const other = fake.addChannel();
  assert.equal(await commands.run('nway_uuid_hold', other, () => nodes.pool.get('fs1'), 'v'), '+OK Success\n');
  await assert.rejects(commands.run('nway_uuid_hold', 'a b c', () => nodes.pool.get('fs1'), 'v'), { code: 'FREECTI_ERR_BAD_REQUEST' });
});

test('noriginate: nout/<extension>/<number> legs dial out with the extension\'s DID-out caller id through its line group (a line picked and held) or gateway', async () => {
  const admin = async (path: string, body: unknown): Promise<number> => {
    const res = await request(`${base}${path}`, { method: 'PUT', headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await res.body.text();
    return res.statusCode;
  };
  assert.ok([200, 201].includes(await admin('/api/v1/linegroups/carriers', { lines: [{ id: 'c1', gateway: 'gwc1', cps: 50 }] })));
  assert.equal(await admin('/api/v1/nacd/did/out/1001', { callerId: '4008001234', linegroup: 'carriers' }), 201);
  assert.equal(await admin('/api/v1/nacd/did/out/1002', { callerId: '4008005678', gateway: 'gw9' }), 201);
  const fake = nodes.fakes[0]!;

  let res = await cli('noriginate', '{origination_caller_id_number=1001}user/1001 &bridge(nout/1001/13800001111)');
  assert.equal(res.status, 200, res.body);
  let sent = await fake.waitForCommand((c) => c.line.startsWith('bgapi originate {origination_caller_id_number=1001}user/1001 &bridge('));
  assert.match(sent.line, /&bridge\(\[origination_caller_id_number=4008001234,origination_caller_id_name=4008001234,freecti_linegroup=carriers,freecti_line=c1,freecti_lease=[^\]]+\]sofia\/gateway\/gwc1\/13800001111\)$/);

  res = await cli('noriginate', "[leg_timeout=20]nout/1002/13900002222 'park' inline");
  assert.equal(res.status, 200, res.body);
  sent = await fake.waitForCommand((c) => c.line.startsWith('bgapi originate [leg_timeout=20,origination_caller_id_number=4008005678,origination_caller_id_name=4008005678]'));
  assert.equal(sent.line, "bgapi originate [leg_timeout=20,origination_caller_id_number=4008005678,origination_caller_id_name=4008005678]sofia/gateway/gw9/13900002222 'park' inline");

  // A leg that sets its own caller id keeps it.
  assert.equal((await cli('noriginate', '[origination_caller_id_number=777]nout/1002/13900003333 &park()')).status, 200);
  sent = await fake.waitForCommand((c) => c.line.includes('13900003333'));
  assert.equal(sent.line, 'bgapi originate [origination_caller_id_number=777]sofia/gateway/gw9/13900003333 &park()');

  // No DID-out entry: a clear 400, nothing sent.
  const before = sentCommands(fake).length;
  res = await cli('noriginate', 'nout/1003/13800001111 &park()');
  assert.equal(res.status, 400);
  assert.match(res.body, /extension '1003' has no DID-out entry/);
  assert.equal(sentCommands(fake).length, before);
  // The policy checks noriginate like originate; the grant is its own.
  assert.equal((await cli('noriginate', 'nout/1001/13800001111 &socket(127.0.0.1:8084)')).status, 403);
  assert.equal((await cli('noriginate', 'nout/1001/1380000,1111 &park()')).status, 403, 'a number is a plain number');
  assert.equal((await cli('noriginate', 'nout/1001/13800001111 &park()', HOLD_ONLY)).status, 403);
  // Only noriginate reads nout legs: the policy refuses them elsewhere (cti_originate, originate,
  // uuid_transfer inline bridge), and the translation would too.
  for (const [cmd, arg] of [['cti_originate', 'nout/1001/13800001111 &park()'], ['originate', 'user/1001 &bridge(nout/1001/13800001111)'], ['uuid_transfer', `${fake.addChannel()} bridge:nout/1001/1380000 inline`]] as const) {
    res = await cli(cmd, arg);
    assert.equal(res.status, 403, `${cmd} ${arg}`);
    assert.match(JSON.parse(res.body).error.details.reason, /nout\/ legs are for noriginate/);
  }
  await assert.rejects(translateCtiOriginate('nout/1001/13800001111 &park()', async () => assert.fail('no line')), /nout\/ legs are for noriginate/);
});

test('nacd_transfer: the live call goes to the group on freecti\'s outbound socket by the one hand-off form the policy accepts; user text cannot produce it', async () => {
  const fake = nodes.fakes[0]!;
  const uuid = fake.addChannel();
  const res = await cli('nacd_transfer', `${uuid} 120`);
  assert.equal(res.body, '+OK\n');
  const sent = sentCommands(fake).at(-1);
  // eslOutbound defaults: 127.0.0.1:8084.
  assert.equal(`${sent?.kind} ${sent?.command} ${sent?.args}`, `api uuid_transfer ${uuid} 'set:nacd_group=120,socket:127.0.0.1:8084 async full' inline`);
  assert.equal((await cli('nacd_transfer', '6f2c1c1e-0000-4a4a-9b9b-0123456789ab 120')).body, '-ERR No such channel!\n');

  // User text never reaches the socket: not as a group, not as uuid_transfer or nway_uuid_transfer text.
  for (const group of ['120,socket:10.0.0.1:9', "120'", '120 extra', '', 'a/b']) {
    assert.equal((await cli('nacd_transfer', `${uuid} ${group}`)).status, 403, group);
  }
  const inline = `${uuid} 'set:nacd_group=120,socket:127.0.0.1:8084 async full' inline`;
  assert.equal((await cli('uuid_transfer', inline)).status, 403);
  assert.equal((await cli('nway_uuid_transfer', inline)).status, 403);
  assert.equal((await cli('uuid_transfer', `${uuid} set:nacd_group=120,socket:127.0.0.1:8084 inline`)).status, 403);
  // The policy takes only a hand-off handoff.ts issued: a copy or a look-alike is refused.
  const policy = new FsPolicy();
  const real = socketHandoff('120', '127.0.0.1:8084');
  assert.equal(policy.socketTransfer(uuid, real), `${uuid} 'set:nacd_group=120,socket:127.0.0.1:8084 async full' inline`);
  assert.throws(() => policy.socketTransfer(uuid, { ...real }), /not a hand-off freecti made/);
  assert.throws(() => policy.socketTransfer(uuid, { variable: 'nacd_group', value: '120', socket: '10.0.0.1:9' } as SocketHandoff), /not a hand-off freecti made/);
  assert.throws(() => policy.socketTransfer('x;y', real), /channel uuid/);
  assert.throws(() => socketHandoff('1,socket:x', '127.0.0.1:8084'), /not a group number/);
  assert.throws(() => socketHandoff('120', '127.0.0.1:8084 async full,park'), /not host:port/);
});
