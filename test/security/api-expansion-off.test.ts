/**
 * fsConfig.disableApiExpansion: FreeSWITCH then runs no api function inside `${...}`
 * (switch-settings.ts; recorded on 1.11.3 in expansion/caller-fields-probe.txt), so a
 * `${strftime(..)}` freecti let through would fail at run time ("API Execute Permission
 * Denied" in a recording path). The policy built from the config (policyOptions) refuses it
 * with a reason naming the setting: on /cli (403) and in a routing reply (the fallback runs).
 * With the flag off (the default) the seed examples that use strftime still pass.
 */
import assert from 'node:assert/strict';
import { describe, it, test, type TestContext } from 'node:test';
import type { ConfigInput } from '../../src/config/schema.js';
import { DEFAULT_SECURITY, policyOptions } from '../../src/fs-lang/policy-options.js';
import { FsPolicy, PolicyRefusal } from '../../src/fs-lang/policy.js';
import type { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { KEY, makeApp as makeCliApp, sentCommands, startFakeNodes } from '../cli-http/helpers.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { json, startApp } from '../webhook/http-app.js';
import { makeApp as makeXmlCurlApp, recordedRequest, sendRaw } from '../xml-curl/harness.js';
import { findAll, parseXml } from '../routing/xml-check.js';

const OFF = /fsConfig\.disableApiExpansion is on/;
const SEED_ORIGINATE = '{origination_caller_id_number=clicktocall}user/121 export:record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav,record_session:${record_filename},bridge:{origination_caller_id_number=121}user/1380000000 inline';

describe('FsPolicy with api expansion off', () => {
  const off = new FsPolicy(policyOptions({ security: DEFAULT_SECURITY, fsConfig: { disableApiExpansion: true } }));
  const on = new FsPolicy(policyOptions({ security: DEFAULT_SECURITY, fsConfig: { disableApiExpansion: false } }));
  const scope = { outbound: true, command: () => true };
  it('refuses ${strftime(..)} wherever it would be expanded, naming the setting', () => {
    assert.throws(() => off.text('${strftime(%Y)}', 'p'), (e) => e instanceof PolicyRefusal && OFF.test(e.message));
    assert.throws(() => off.recordPath('$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav', 'r'), OFF);
    assert.throws(() => off.originate(SEED_ORIGINATE, scope), OFF);
    assert.throws(() => off.application('set', 'd=${strftime(%Y)}', scope, 's'), OFF);
  });
  it('keeps plain ${var} references and $${globals}, which FreeSWITCH still expands', () => {
    assert.doesNotThrow(() => off.recordPath('$${recordings_dir}/${uuid}.wav', 'r'));
    assert.doesNotThrow(() => off.application('bridge', '{origination_caller_id_number=${ani}}user/1001', scope, 'b'));
  });
  it('with the flag off (the default) the seed examples using strftime pass', () => {
    for (const policy of [on, new FsPolicy()]) {
      assert.doesNotThrow(() => policy.originate(SEED_ORIGINATE, scope));
      assert.doesNotThrow(() => policy.recordPath('$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav', 'r'));
    }
  });
});

const db = useRedis();

async function cliSetup(t: TestContext, input: ConfigInput) {
  const nodes = await startFakeNodes('fs1');
  const { app } = makeCliApp({ ...input, cli: { key: KEY }, redis: { url: db.server.url, keyPrefix: uniquePrefix('apioff') }, freeswitch: { nodes: nodes.nodes } }, nodes.pool, db.redis);
  t.after(async () => {
    await app.close();
    await nodes.close();
  });
  return { app, fs1: nodes.fakes[0] as FakeFreeSwitch };
}

test('/cli: with fsConfig.disableApiExpansion a ${strftime(..)} is refused (403, the reason names the setting) and never sent', async (t) => {
  const { app, fs1 } = await cliSetup(t, { fsConfig: { disableApiExpansion: true } });
  const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=originate&arg=${encodeURIComponent(SEED_ORIGINATE)}` });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().error.code, 'FREECTI_ERR_CLI_COMMAND_FORBIDDEN');
  assert.match(res.json().error.details.reason, OFF);
  assert.deepEqual(sentCommands(fs1), []);
});

test('/cli: with the flag off the same seed originate reaches FreeSWITCH as written', async (t) => {
  const { app, fs1 } = await cliSetup(t, {});
  fs1.onApi('originate', () => '+OK 7f4de4c4\n');
  const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=originate&arg=${encodeURIComponent(SEED_ORIGINATE)}` });
  assert.notEqual(res.statusCode, 403, res.body);
  assert.equal(sentCommands(fs1)[0]?.args, SEED_ORIGINATE);
});

test('routing reply: with fsConfig.disableApiExpansion a reply with ${strftime(..)} gets the fallback, logged with the reason', async (t) => {
  const webapp = await startApp((_req, res) => json(res, [{ application: 'record_session', data: '$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav' }, { application: 'bridge', data: 'user/1001' }]));
  const prefix = `${uniquePrefix('apioff')}:`;
  const h = makeXmlCurlApp(db.redis, {
    redis: { url: db.server.url, keyPrefix: prefix },
    fsConfig: { disableApiExpansion: true },
    routing: { cacheMs: 0, routes: [{ id: 'main', context: 'default', url: `${webapp.url}/route`, responseTimeoutMs: 1000, connectTimeoutMs: 1000 }] },
  });
  t.after(async () => {
    await h.app.close();
    await webapp.close();
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  await waitFor(async () => (await db.redis.hexists(`${prefix}{freecti}:routes`, 'main')) === 1);
  const address = h.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const res = await sendRaw(port, recordedRequest('dialplan-call-1000-to-1001').raw);
  assert.equal(res.status, 200);
  assert.equal(webapp.seen.length, 1, 'the route was asked');
  const actions = findAll(parseXml(res.body), 'action').map((a) => ({ application: a.attrs['application'], data: a.attrs['data'] }));
  assert.deepEqual(actions, [{ application: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' }]);
  const line = h.logs.find((l) => l['component'] === 'routing' && typeof l['reason'] === 'string');
  assert.match(String(line?.['reason']), OFF);
});
