/**
 * nway_threeway <uuid> <dial string> (issue 11 item 6, docs/nacd.md "nway_threeway"):
 * through /cli of the real app and services on a real Redis, the fake FreeSWITCH over TCP
 * behind the real node pool. The exact originate FreeSWITCH receives, the DID-out of the
 * call's extension (its caller-profile `caller_id_number`, which `uuid_getvar` answers:
 * esl-control/nway-threeway-three-way-originate, replayed in test/esl/contract.test.ts),
 * line-group legs resolved and held, and the refusals.
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
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { sentCommands, startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';

const KEY = 'threeway-cli-key-0123456789';
const INTERNAL = 'threeway-internal-key-01234';
const ADMIN = 'threeway-admin-key-012345678';

let nodes: FakeNodes;
let services: Services;
let base: string;
let close: () => Promise<void> = async () => undefined;

const db = useRedis({ afterStart: setup, beforeStop: async () => close() });

async function setup(): Promise<void> {
  nodes = await startFakeNodes('fs1');
  const config = validateConfig({
    redis: { url: db.server.url, keyPrefix: uniquePrefix('threeway') },
    admin: { keys: [ADMIN] },
    cli: { keys: [{ id: 'crm', key: KEY, allow: ['*'] }, { id: 'desk', key: INTERNAL, allow: ['nacd_version', 'originate'] }] },
    freeswitch: { nodes: nodes.nodes },
  });
  const logger = createLogger('silent');
  const metrics = createMetrics({ defaultMetrics: false });
  const policy = new FsPolicy(config.security);
  services = createServices({ config, logger, redis: db.redis, pool: nodes.pool, metrics, policy });
  services.start();
  const app = buildApp({ config, logger, redis: db.redis, pool: nodes.pool, metrics, version: '1.2.3', services, policy });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const admin = async (path: string, body: unknown): Promise<void> => {
    const res = await request(`${base}${path}`, { method: 'PUT', headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok([200, 201].includes(res.statusCode), await res.body.text());
  };
  await admin('/api/v1/linegroups/carriers', { lines: [{ id: 'c1', gateway: 'gwc1', maxConcurrent: 1 }] });
  await admin('/api/v1/nacd/did/out/1000', { callerId: '4008001234', linegroup: 'carriers' });
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

test('the parser: <uuid> <dial string>, one word each, nothing after', () => {
  const uuid = '6f2c1c1e-0000-4a4a-9b9b-0123456789ab';
  assert.deepEqual(parseNacdCommand('nway_threeway', `${uuid} user/1002`), { name: 'nway_threeway', uuid, target: 'user/1002' });
  assert.deepEqual(parseNacdCommand('nway_threeway', `${uuid} {leg_timeout=20}nout/1000/13800001111`), { name: 'nway_threeway', uuid, target: '{leg_timeout=20}nout/1000/13800001111' });
  for (const bad of ['', 'not-a;uuid user/1002', uuid, `${uuid} user/1002 extra`, `${uuid} '{a=b c}user/1002'`]) {
    assert.throws(() => parseNacdCommand('nway_threeway', bad), /nway_threeway: /, bad);
  }
});

test('an extension joins the live call: originate <dial string> &three_way(<uuid>), FreeSWITCH\'s answer is the reply', async () => {
  const fake = nodes.fakes[0]!;
  const uuid = fake.addChannel({ callerIdNumber: '1000' });
  const newLeg = '7a1b2c3d-0000-4a4a-9b9b-0123456789ab';
  // An extension answers; anything else fails as the fake's default originate does.
  fake.onApi('originate', (args) => (args.startsWith('user/') ? `+OK ${newLeg}\n` : '-ERR CHAN_NOT_IMPLEMENTED\n'));
  const res = await cli('nway_threeway', `${uuid} user/1002`);
  assert.deepEqual(res, { status: 200, body: `+OK ${newLeg}\n` });
  const sent = sentCommands(fake).slice(-3).map((c) => `${c.kind} ${c.command} ${c.args}`);
  assert.deepEqual(sent, [`api uuid_exists ${uuid}`, `api uuid_getvar ${uuid} caller_id_number`, `bgapi originate user/1002 &three_way(${uuid})`]);
});

test('an external target shows the DID-out caller id of the call\'s extension and takes a line of its group; the line is given back when the originate fails', async () => {
  const fake = nodes.fakes[0]!;
  const uuid = fake.addChannel({ callerIdNumber: '1000' });
  // The fake's default originate answers -ERR CHAN_NOT_IMPLEMENTED for a gateway: the line goes back at once.
  for (const round of [1, 2]) {
    const res = await cli('nway_threeway', `${uuid} nout/1000/1380000111${round}`);
    assert.deepEqual(res, { status: 200, body: '-ERR CHAN_NOT_IMPLEMENTED\n' }, `round ${round}: the one line (maxConcurrent 1) was free again`);
    const sent = sentCommands(fake).at(-1);
    assert.match(
      `${sent?.kind} ${sent?.command} ${sent?.args}`,
      new RegExp(`^bgapi originate \\[origination_caller_id_number=4008001234,origination_caller_id_name=4008001234,freecti_linegroup=carriers,freecti_line=c1,freecti_lease=[0-9a-f-]{36}\\]sofia/gateway/gwc1/1380000111${round} &three_way\\(${uuid}\\)$`),
    );
  }
  await cli('nway_threeway', `${uuid} sofia/gateway/gw7/13900002222`);
  const sent = sentCommands(fake).at(-1);
  assert.equal(sent?.args, `{origination_caller_id_number=4008001234,origination_caller_id_name=4008001234}sofia/gateway/gw7/13900002222 &three_way(${uuid})`);
});

test('refusals: a bad uuid or a forbidden target never reaches FreeSWITCH; an unknown call is a clear -ERR; no originate is sent for either', async () => {
  const fake = nodes.fakes[0]!;
  const uuid = fake.addChannel({ callerIdNumber: '1000' });
  const before = sentCommands(fake).length;
  for (const [arg, key, reason] of [
    ['bad;uuid user/1002', KEY, /expected a channel uuid/],
    [`${uuid} evil/1002`, KEY, /endpoint 'evil' is not allowed/],
    [`${uuid} user/1002&three_way(x)`, KEY, /./],
    [`${uuid} {api_on_answer=system}user/1002`, KEY, /'system' is not in the command allow-list/],
    [`${uuid} user/1002`, INTERNAL, /'nway_threeway' is not allowed for this key/],
  ] as const) {
    const res = await cli('nway_threeway', arg, key);
    assert.equal(res.status, 403, `${arg}: ${res.body}`);
    assert.match(JSON.parse(res.body).error.details.reason, reason, arg);
  }
  assert.equal(sentCommands(fake).length, before, 'nothing was sent');
  // three_way itself stays out of reach of text: an originate naming it is refused.
  const text = await cli('originate', `user/1002 &three_way(${uuid})`);
  assert.equal(text.status, 403);
  assert.match(JSON.parse(text.body).error.details.reason, /application 'three_way' is not in the allow-list/);

  const unknown = '6f2c1c1e-0000-4a4a-9b9b-0123456789ab';
  assert.deepEqual(await cli('nway_threeway', `${unknown} user/1002`), { status: 200, body: `-ERR no call '${unknown}'\n` });
  assert.deepEqual(sentCommands(fake).slice(before).map((c) => c.command), ['uuid_exists'], 'only the lookup');

  // A nout/ leg of an extension without a DID-out entry: 400 naming it, no originate.
  const res = await cli('nway_threeway', `${uuid} nout/1009/139`);
  assert.equal(res.status, 400);
  assert.match(res.body, /nway_threeway: 'nout\/1009\/\.\.\.': extension '1009' has no DID-out entry/);
  assert.ok(!sentCommands(fake).slice(before).some((c) => c.command === 'originate'));
});

test('nacd_version lists nway_threeway', async () => {
  assert.match((await cli('nacd_version')).body, / nway_threeway /);
});
