/**
 * The adversarial corpus (test/fs-lang/corpus.ts), direct and wrapped, sent the ways an
 * attacker reaches FreeSWITCH through freecti, end to end:
 *
 * - `/cli` with a key (real HTTP app, the fake FreeSWITCH over TCP through the real node
 *   pool): every command entry is 403
 *   FREECTI_ERR_CLI_COMMAND_FORBIDDEN and no node saw a command;
 * - routing replies (a real webhook app, the recorded mod_xml_curl dialplan request over
 *   a real socket, a real Redis): every application entry, and every dial string and
 *   variable as `bridge`/`set`, makes the route serve its fallback, in the public context
 *   for the public entries;
 * - cti_bridge replies: every variable and dial string refused in outbound scope is
 *   BRIDGE_BAD_REPLY from the bridge's own reply planner;
 * - the typed API: every payload put into the free-text fields (broadcast and conference
 *   files, transfer destination, click-to-call number) is 400 or 403 and reaches no node.
 *
 * Then every seed 003 example runs through /cli with the default key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/redis.js';
import { planDial } from '../../src/bridge/dial-target.js';
import { parseBridgeReply } from '../../src/bridge/reply.js';
import { FsPolicy, PolicyRefusal } from '../../src/fs-lang/policy.js';
import { isFreectiError } from '../../src/errors.js';
import { useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { makeApp as makeXmlCurlApp, recordedRequest, sendRaw, withFields, type Harness } from '../xml-curl/harness.js';
import { findAll, parseXml } from '../routing/xml-check.js';
import { KEY, makeApp, sentCommands, startFakeNodes } from '../cli-http/helpers.js';
import { isPlainNumber } from '../../src/dial-string/index.js';
import { CORPUS, SEED_003_EXAMPLES, SEED_SECURITY, UUID, WRAPPED, describeAttack, type Attack } from '../fs-lang/corpus.js';

const ADMIN = 'admin-key-0123456789abcdef';
const ALL = [...CORPUS, ...WRAPPED];

/** One key per set of exact grants the corpus asks for (e.g. sched_api for a wrapped entry). */
function grantKey(grant: readonly string[] | undefined): string {
  return `key-${[...(grant ?? [])].sort().join('-') || 'none'}-0123456789abcdef`;
}
const grantSets = [...new Map(ALL.map((a) => [grantKey(a.grant), a.grant ?? []])).entries()];


const db = useRedis({ connect: (url) => createRedis(loadConfig({ REDIS_URL: url }), createLogger('silent')) });

describe('/cli', () => {
  it('refuses every command entry, direct and wrapped, with 403 and sends nothing', async (t) => {
    const nodes = await startFakeNodes('fs1');
    t.after(() => nodes.close());
    const keys = grantSets.map(([key, grant], i) => ({ id: `k${i}`, key, allow: ['*', ...grant], ratePerMinute: 0 }));
    const { app } = makeApp({ cli: { keys }, security: SEED_SECURITY, freeswitch: { nodes: nodes.nodes } }, nodes.pool, db.redis);
    const entries = ALL.filter((a): a is Extract<Attack, { kind: 'command' }> => a.kind === 'command' && a.scope === 'key');
    assert.ok(entries.length >= 150, `${entries.length} command entries`);
    for (const a of entries) {
      const url = `/cli?key=${grantKey(a.grant)}&cmd=${encodeURIComponent(a.cmd)}&arg=${encodeURIComponent(a.arg)}`;
      const res = await app.inject({ method: 'GET', url });
      // A line break or control character is refused before any parsing (400): it could smuggle a second ESL command.
      // eslint-disable-next-line no-control-regex
      const expected = /[\x00-\x08\x0a-\x1f\x7f]/.test(a.cmd + a.arg) ? 400 : 403;
      assert.equal(res.statusCode, expected, `${describeAttack(a)} → ${res.statusCode} ${res.body}`);
      if (expected === 403) {
        assert.equal(res.json().error.code, 'FREECTI_ERR_CLI_COMMAND_FORBIDDEN');
        assert.equal(typeof res.json().error.details.reason, 'string');
      }
    }
    assert.deepEqual(sentCommands(nodes.fakes[0]!), [], 'nothing reached FreeSWITCH');
    await app.close();
  });
});

describe('routing replies', () => {
  let webapp: TestApp;
  let h: Harness;
  let port: number;
  let reply: unknown = [];
  const recorded = recordedRequest('dialplan-call-1000-to-1001');
  const FALLBACK = [{ application: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' }];

  function request(context: string): Buffer {
    const body = withFields(recorded.body, { 'Hunt-Context': context, 'Caller-Context': context });
    return Buffer.from(`${recorded.head.replace(/Content-Length: \d+/, `Content-Length: ${Buffer.byteLength(body)}`)}\r\n\r\n${body}`, 'latin1');
  }

  before(async () => {
    webapp = await startApp((_req, res) => json(res, reply));
    h = makeXmlCurlApp(db.redis, {
      redis: { url: db.server.url, keyPrefix: 'sec:' },
      admin: { keys: [ADMIN] },
      security: SEED_SECURITY,
      routing: {
        cacheMs: 0,
        routes: [
          { id: 'pub', context: 'public', url: `${webapp.url}/pub`, responseTimeoutMs: 1000 },
          { id: 'int', context: 'default', url: `${webapp.url}/int`, responseTimeoutMs: 1000 },
        ],
      },
    });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
    await waitFor(async () => (await db.redis.hlen('sec:{freecti}:routes')) === 2);
  });

  after(async () => {
    await h.app.close();
    await webapp.close();
  });

  /** The actions of a reply that carries the entry unchanged. */
  function actionsOf(a: Attack): unknown[] | undefined {
    switch (a.kind) {
      case 'application':
        return [{ application: a.application, data: a.data }];
      case 'dialstring':
        return [{ application: 'bridge', data: a.text }];
      case 'variable':
        return [{ application: 'set', data: `${a.name}=${a.value}` }];
      case 'command':
        return undefined;
    }
  }

  it('serves the fallback for every application, dial string and variable entry, direct and wrapped', async () => {
    let sent = 0;
    for (const a of ALL) {
      const actions = actionsOf(a);
      if (actions === undefined) continue;
      reply = [{ application: 'answer' }, ...actions];
      h.logs.length = 0;
      const res = await sendRaw(port, request(a.scope === 'public' ? 'public' : 'default'));
      assert.equal(res.status, 200);
      const served = findAll(parseXml(res.body), 'action').map((x) => ({ application: x.attrs['application'], data: x.attrs['data'] }));
      assert.deepEqual(served, FALLBACK, describeAttack(a));
      assert.ok(h.logs.some((l) => l['component'] === 'routing' && l['code'] === 'FREECTI_ERR_WEBHOOK_BAD_REPLY'), `logged: ${describeAttack(a)}`);
      sent += 1;
    }
    assert.ok(sent >= 150, `${sent} replies`);
  });
});

describe('cti_bridge replies', () => {
  it('refuses every variable and dial string that outbound scope refuses', () => {
    const policy = new FsPolicy(SEED_SECURITY);
    let checked = 0;
    for (const a of ALL) {
      if (a.scope !== 'key' || (a.kind !== 'variable' && a.kind !== 'dialstring')) continue;
      const body = a.kind === 'variable' ? { variables: { [a.name]: a.value }, dial: { type: 'user', user: '1000' } } : { dial: { type: 'dialstring', dialstring: a.text } };
      assert.throws(
        () => planDial(parseBridgeReply(body), { policy }),
        (e: unknown) => isFreectiError(e, 'BRIDGE_BAD_REPLY'),
        describeAttack(a),
      );
      checked += 1;
    }
    assert.ok(checked >= 50, `${checked} bridge replies`);
  });
});

describe('typed API', () => {
  it('refuses every payload in every free-text field with 400 or 403 and sends nothing', async (t) => {
    const nodes = await startFakeNodes('fs1');
    t.after(() => nodes.close());
    // The call exists: what refuses a payload is freecti's policy, not a missing channel.
    nodes.fakes[0]!.addChannel({ uuid: UUID });
    const { app } = makeApp({ cli: { key: KEY, keyRatePerMinute: 0 }, security: SEED_SECURITY, freeswitch: { nodes: nodes.nodes } }, nodes.pool, db.redis);
    const payloads = new Set<string>();
    for (const a of ALL) {
      const text = a.kind === 'command' ? a.arg : a.kind === 'application' ? a.data : a.kind === 'dialstring' ? a.text : `${a.name}=${a.value}`;
      if (text.trim() !== '') payloads.add(text);
    }
    const safe = new FsPolicy(SEED_SECURITY);
    let sent = 0;
    for (const payload of payloads) {
      // A payload that is an harmless file or number for the policy is not an attack in these fields.
      const harmless = (check: () => void): boolean => {
        try {
          check();
          return true;
        } catch (error) {
          if (error instanceof PolicyRefusal) return false;
          throw error;
        }
      };
      const requests = [
        { url: `/api/v1/calls/${UUID}/broadcast`, payload: { file: payload }, skip: harmless(() => safe.media(payload, 'file')) && !/\s|::/.test(payload) },
        { url: `/api/v1/conferences/room1/play`, payload: { file: payload }, skip: harmless(() => safe.media(payload, 'file')) && !/\s/.test(payload) },
        // A plain number is a destination, not an attack.
        { url: `/api/v1/calls/${UUID}/transfer`, payload: { destination: payload }, skip: isPlainNumber(payload) },
        { url: '/api/v1/calls', payload: { agent: '1000', customer: payload }, skip: isPlainNumber(payload) },
      ];
      for (const r of requests) {
        if (r.skip) continue;
        const res = await app.inject({ method: 'POST', url: r.url, headers: { 'x-api-key': KEY }, payload: r.payload });
        assert.ok(res.statusCode === 400 || res.statusCode === 403, `${r.url} ${JSON.stringify(r.payload)} → ${res.statusCode} ${res.body}`);
        sent += 1;
      }
    }
    assert.ok(sent >= 300, `${sent} requests`);
    assert.deepEqual(sentCommands(nodes.fakes[0]!).filter((c) => c.command !== 'uuid_exists'), [], 'nothing but existence checks reached FreeSWITCH');
    await app.close();
  });
});

/** The line groups the seed 003 examples dial. */
const GROUPS = [...new Set(SEED_003_EXAMPLES.flatMap((e) => [...e.arg.matchAll(/linegroup\/([A-Za-z0-9_.-]+)\//g)].map((m) => m[1] ?? '')))];

describe('seed 003', () => {
  it('every /cli example runs with the default key and reaches FreeSWITCH as written (line groups resolved)', async (t) => {
    const nodes = await startFakeNodes('fs1');
    t.after(() => nodes.close());
    const fs1 = nodes.fakes[0]!;
    // Scripted: mod_cti's uuid_cti_background, and calls and conferences the fake does not run.
    for (const name of ['uuid_broadcast', 'conference', 'uuid_cti_background']) fs1.onApi(name, '+OK\n');
    fs1.onApi('originate', '+OK 9f0c\n');
    const { app } = makeApp(
      {
        cli: { key: KEY, keyRatePerMinute: 0, keyAllow: ['*', 'uuid_cti_background'] },
        admin: { keys: [ADMIN] },
        redis: { url: db.server.url, keyPrefix: 'seed:' },
        security: SEED_SECURITY,
        freeswitch: { nodes: nodes.nodes },
      },
      nodes.pool,
      db.redis,
    );
    for (const group of GROUPS) {
      const res = await app.inject({ method: 'PUT', url: `/api/v1/linegroups/${group}`, headers: { 'x-api-key': ADMIN }, payload: { lines: [{ id: 'l1', gateway: 'carrier1' }] } });
      assert.ok(res.statusCode < 300, res.body);
    }
    for (const example of SEED_003_EXAMPLES) {
      const sentBefore = sentCommands(fs1).length;
      const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=${encodeURIComponent(example.cmd)}&arg=${encodeURIComponent(example.arg)}` });
      assert.equal(res.statusCode, 200, `${example.what}: ${res.body}`);
      const call = sentCommands(fs1)[sentBefore];
      assert.ok(call, `${example.what} reached FreeSWITCH`);
      if (!example.arg.includes('linegroup/')) {
        const inner = example.cmd === 'bgapi' ? example.arg : `${example.cmd} ${example.arg}`;
        assert.equal(`${call.command} ${call.args}`.trim(), inner.replace(/^cti_originate /, 'originate ').trim(), example.what);
      } else {
        assert.ok(!call.args.includes('linegroup/') && call.args.includes('sofia/gateway/carrier1/'), `${example.what}: ${call.args}`);
      }
    }
    await app.close();
  });
});
