/**
 * The caller-fields recording (test/fixtures/freeswitch/expansion/caller-fields-probe.txt,
 * real FreeSWITCH 1.11.3) held to the default policy. The recording ends with one
 * `verdict <field> <unsanitized|sanitized> <probes>` line per field; a field is
 * "unsanitized" when a remote party got `${...}` into it and a reference to it ran the api
 * function (the probe's log shows 42).
 *
 * - the verdicts are backed by the recorded log lines of the probes they name;
 * - the unsanitized fields are exactly UNSAFE_CALLER_VARIABLES, and none is in the default
 *   `security.variables`;
 * - end to end with the default configuration: `/cli` (real HTTP app, the fake FreeSWITCH
 *   over TCP through the real node pool) refuses a command that references one with 403
 *   and sends nothing, while the same command with `${uuid}` reaches FreeSWITCH; a routing
 *   reply (the recorded mod_xml_curl request over a real socket, a real webhook app, real
 *   Redis) that references one is replaced by the route's fallback, while `${uuid}` is served;
 * - an operator who lists one in `security.variables` gets it through (the opt-in), and
 *   unsafeVariablesIn names it for the start-up warning.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/redis.js';
import { DEFAULT_SECURITY, UNSAFE_CALLER_VARIABLES, unsafeVariablesIn } from '../../src/fs-lang/policy-options.js';
import { fixturePath } from '../helpers/fixtures.js';
import { useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { makeApp as makeXmlCurlApp, recordedRequest, sendRaw, withFields, type Harness } from '../xml-curl/harness.js';
import { findAll, parseXml } from '../routing/xml-check.js';
import { KEY, makeApp, sentCommands, startFakeNodes } from '../cli-http/helpers.js';

const UUID = 'b2961087-c353-45f6-a50e-1fd957e23fec';
const RECORDING = readFileSync(fixturePath('expansion/caller-fields-probe.txt'), 'utf8');

interface Verdict {
  field: string;
  unsanitized: boolean;
  probes: string[];
}

const VERDICTS: Verdict[] = RECORDING.split('\n')
  .filter((line) => line.startsWith('verdict '))
  .map((line) => {
    const [, field = '', kind = '', probes = ''] = line.split(' ');
    assert.ok(kind === 'unsanitized' || kind === 'sanitized', line);
    return { field, unsanitized: kind === 'unsanitized', probes: probes.split(',') };
  });
const UNSANITIZED = VERDICTS.filter((v) => v.unsanitized).map((v) => v.field);

/** The recorded lines (comments left out) of one probe: from its `## probe <name>` heading to the next heading. */
function probeLines(name: string): string[] {
  const start = RECORDING.indexOf(`## probe ${name}:`);
  assert.ok(start >= 0, `the recording has probe ${name}`);
  const end = RECORDING.indexOf('\n## ', start + 1);
  return RECORDING.slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('the recording', () => {
  it('backs each verdict with the log lines of the probes it names', () => {
    assert.ok(VERDICTS.length >= 10, `${VERDICTS.length} verdicts`);
    for (const v of VERDICTS) {
      const lines = v.probes.flatMap(probeLines);
      if (v.unsanitized) {
        // FreeSWITCH stored the marker as sent, and a reference to the field printed what expr computed.
        assert.ok(lines.some((l) => l.includes('${expr(6*7)}') && !l.includes('Invalid data')), `${v.field}: a recorded line holds the raw marker`);
        // The probes put a prefix before the marker (U, XN, C, 8642...): evaluated, `U${expr(6*7)}` prints `[U42]`.
        assert.ok(lines.some((l) => /(?:ESLPROBE|PROBE-EXPANDED).*\[(?:[A-Z]{1,2}|8642)42\]/.test(l)), `${v.field}: a recorded reference evaluated the marker`);
      } else {
        // Refused by var_check or rewritten to %{ by the caller-profile clean.
        assert.ok(lines.some((l) => l.includes(`Invalid data (\${${v.field}} contains a variable)`) || l.includes('%{expr(6*7)}')), `${v.field}: FreeSWITCH refused or rewrote it`);
      }
    }
  });

  it('its unsanitized fields are UNSAFE_CALLER_VARIABLES, and none is allowed by default', () => {
    assert.deepEqual([...UNSANITIZED].sort(), [...UNSAFE_CALLER_VARIABLES].sort());
    for (const field of UNSANITIZED) assert.ok(!DEFAULT_SECURITY.variables.map((v) => v.toLowerCase()).includes(field), field);
    assert.deepEqual(unsafeVariablesIn(DEFAULT_SECURITY), []);
    assert.deepEqual(unsafeVariablesIn({ ...DEFAULT_SECURITY, variables: [...DEFAULT_SECURITY.variables, 'Caller_ID_Name'] }), ['caller_id_name']);
  });
});

const db = useRedis({ connect: (url) => createRedis(loadConfig({ REDIS_URL: url }), createLogger('silent')) });

describe('/cli with the default configuration', () => {
  it('refuses a command that references an unsanitized field and sends nothing; ${uuid} in its place goes through', async (t) => {
    const nodes = await startFakeNodes('fs1');
    t.after(() => nodes.close());
    const fs1 = nodes.fakes[0]!;
    fs1.onApi('uuid_setvar', '+OK\n');
    fs1.onApi('originate', '+OK 9f0c\n');
    const { app } = makeApp({ cli: { key: KEY, keyRatePerMinute: 0 }, freeswitch: { nodes: nodes.nodes } }, nodes.pool, db.redis);
    t.after(() => app.close());
    const lines = (ref: string): [string, string][] => [
      ['uuid_setvar', `${UUID} freecti_probe ${ref}`],
      ['originate', `{origination_caller_id_name=${ref}}user/1000 &park()`],
      ['bgapi', `uuid_setvar ${UUID} freecti_probe x${ref}`],
    ];
    const get = (cmd: string, arg: string) => app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=${encodeURIComponent(cmd)}&arg=${encodeURIComponent(arg)}` });
    for (const field of UNSANITIZED) {
      for (const [cmd, arg] of lines(`\${${field}}`)) {
        const res = await get(cmd, arg);
        assert.equal(res.statusCode, 403, `${cmd} ${arg}: ${res.body}`);
        assert.equal(res.json().error.code, 'FREECTI_ERR_CLI_COMMAND_FORBIDDEN');
        assert.match(res.json().error.details.reason, new RegExp(`\\$\\{${field}\\} is not an allowed channel variable`));
      }
    }
    assert.deepEqual(sentCommands(fs1), [], 'nothing reached FreeSWITCH');
    for (const [cmd, arg] of lines('${uuid}')) {
      const res = await get(cmd, arg);
      assert.equal(res.statusCode, 200, `${cmd} ${arg}: ${res.body}`);
    }
    assert.equal(sentCommands(fs1).length, 3, 'the ${uuid} forms reached FreeSWITCH');
  });

  it('lets an operator opt in by listing the field in security.variables', async (t) => {
    const nodes = await startFakeNodes('fs1');
    t.after(() => nodes.close());
    const fs1 = nodes.fakes[0]!;
    fs1.onApi('uuid_setvar', '+OK\n');
    const security = { variables: [...DEFAULT_SECURITY.variables, ...UNSAFE_CALLER_VARIABLES] };
    const { app } = makeApp({ cli: { key: KEY, keyRatePerMinute: 0 }, security, freeswitch: { nodes: nodes.nodes } }, nodes.pool, db.redis);
    t.after(() => app.close());
    for (const field of UNSANITIZED) {
      const res = await app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=uuid_setvar&arg=${encodeURIComponent(`${UUID} freecti_probe \${${field}}`)}` });
      assert.equal(res.statusCode, 200, `${field}: ${res.body}`);
    }
    assert.equal(sentCommands(fs1).length, UNSANITIZED.length);
  });
});

describe('routing replies with the default configuration', () => {
  let webapp: TestApp;
  let h: Harness;
  let port: number;
  let reply: unknown = [];
  const recorded = recordedRequest('dialplan-call-1000-to-1001');
  const FALLBACK = [{ application: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' }];
  const request = (): Buffer => {
    const body = withFields(recorded.body, { 'Hunt-Context': 'default', 'Caller-Context': 'default' });
    return Buffer.from(`${recorded.head.replace(/Content-Length: \d+/, `Content-Length: ${Buffer.byteLength(body)}`)}\r\n\r\n${body}`, 'latin1');
  };

  before(async () => {
    webapp = await startApp((_req, res) => json(res, reply));
    h = makeXmlCurlApp(db.redis, {
      redis: { url: db.server.url, keyPrefix: 'cf:' },
      routing: { cacheMs: 0, routes: [{ id: 'int', context: 'default', url: `${webapp.url}/int`, responseTimeoutMs: 1000 }] },
    });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
    await waitFor(async () => (await db.redis.hlen('cf:{freecti}:routes')) === 1);
  });

  after(async () => {
    await h.app.close();
    await webapp.close();
  });

  async function served(actions: unknown[]): Promise<unknown[]> {
    reply = actions;
    h.logs.length = 0;
    const res = await sendRaw(port, request());
    assert.equal(res.status, 200);
    return findAll(parseXml(res.body), 'action').map((x) => ({ application: x.attrs['application'], data: x.attrs['data'] }));
  }

  it('serves the fallback for a reply that references an unsanitized field, and the reply itself with ${uuid}', async () => {
    const replies = (ref: string) => [
      [{ application: 'log', data: `INFO caller [${ref}]` }],
      [{ application: 'set', data: `freecti_probe=${ref}` }],
      [{ application: 'bridge', data: `{origination_caller_id_name=${ref}}user/1001` }],
    ];
    for (const field of UNSANITIZED) {
      for (const actions of replies(`\${${field}}`)) {
        assert.deepEqual(await served([{ application: 'answer' }, ...actions]), FALLBACK, `${field}: ${JSON.stringify(actions)}`);
        assert.ok(h.logs.some((l) => l['component'] === 'routing' && l['code'] === 'FREECTI_ERR_WEBHOOK_BAD_REPLY'), field);
      }
    }
    for (const actions of replies('${uuid}')) {
      const expected = [{ application: 'answer', data: undefined }, ...actions];
      assert.deepEqual(await served([{ application: 'answer' }, ...actions]), expected, JSON.stringify(actions));
    }
  });
});
