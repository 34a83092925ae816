/**
 * Done-when of issue 13: the dialplans migrated from the seed samples
 * (test/fixtures/migration/expected/, checked byte for byte by migrate-dialplan.test.ts)
 * run on the fake FreeSWITCH held to the recordings. For each migrated extension, the
 * `set` data becomes the channel variable FreeSWITCH would hold when `socket` connects
 * (its `\${` unescaped, a regex capture filled in), and the call is dialed into freecti's
 * outbound server with the recorded connect reply (test/bridge/scripted-call.ts), the
 * application moved to the test's port.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { scanTags } from '../../src/migrate/xml-tags.js';
import { startHarness, type BridgeHarness } from '../bridge/harness.js';
import { startAppServer, type AppServer } from '../bridge/app-server.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { fixturePath } from './paths.js';

/** The `set` actions of a migrated file that hand a call to freecti, as `{ variable, value, socket }`, in order. */
function handOvers(file: string): { variable: string; value: string; socket: string }[] {
  const tags = scanTags(readFileSync(fixturePath(`expected/${file}`), 'utf8')).filter((t) => t.name === 'action');
  const out: { variable: string; value: string; socket: string }[] = [];
  tags.forEach((tag, i) => {
    const data = tag.attributes.get('data') ?? '';
    const match = /^(cti_curl|cti_bridge|cti_dial|cti_nbridge)=(.*)$/s.exec(data);
    if (tag.attributes.get('application') !== 'set' || match === null) return;
    const next = tags[i + 1];
    assert.equal(next?.attributes.get('application'), 'socket', `line ${tag.line}: set is followed by socket`);
    out.push({ variable: match[1] ?? '', value: match[2] ?? '', socket: next?.attributes.get('data') ?? '' });
  });
  return out;
}

/**
 * One pass of FreeSWITCH's switch_channel_expand_variables over a value that must expand
 * nothing: `\\` -> `\`, `\$` -> `$`; an unescaped `${` fails the test.
 */
function expandPass(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i += 1) {
    const c = value[i] ?? '';
    const next = value[i + 1];
    if (c === '\\' && (next === '\\' || next === '$')) {
      out += next;
      i += 1;
      continue;
    }
    assert.ok(!(c === '$' && next === '{'), `no \${...} left for FreeSWITCH to expand unencoded: ${value}`);
    out += c;
  }
  return out;
}

/** What FreeSWITCH's `set` stores: its data is expanded twice (switch_core_session_exec, then mod_dptools' base_set). */
function afterSet(value: string, captures: readonly string[] = []): string {
  return expandPass(expandPass(value.replace(/\$(\d)/g, (_m, n: string) => captures[Number(n) - 1] ?? '')));
}

describe('migrated seed dialplans run on the fake FreeSWITCH', () => {
  let h: BridgeHarness;
  let routeApp: TestApp;
  let bridgeApp: AppServer;
  before(async () => {
    h = await startHarness();
    // Seed 000's application: play a file, then bridge to the agent.
    routeApp = await startApp((_req, res) => json(res, [{ application: 'playback', data: '/ddt/fs/sounds/cti/echotest.wav' }, { application: 'bridge', data: 'user/10001' }]));
    // Seed 002's application: the privacy number goes out through gateway gw.
    bridgeApp = await startAppServer(() => ({ body: JSON.stringify({ variables: { origination_caller_id_number: '123' }, dial: { type: 'gateway', number: '123456', gateway: 'gw' } }) }));
    await h.resolver.store.put('default', { lines: [{ id: 'a', gateway: 'gw-a' }] });
  });
  after(async () => {
    await routeApp.close();
    await bridgeApp.close();
    await h.stop();
  });

  it('public.xml (X-PRE-PROCESS cti_curl): the app is asked with the live channel\'s number, its playback and bridge run, the call ends', async () => {
    const [curl] = handOvers('public.xml');
    assert.equal(curl?.variable, 'cti_curl');
    assert.equal(curl?.socket, '127.0.0.1:8084 async full');
    const template = afterSet(curl?.value ?? '').replace('http://127.0.0.1:3000', routeApp.url);
    const { fs, result } = await h.callCurl({ variables: { cti_curl: template }, bridges: ['answered'] });
    const query = new URL(`http://x${routeApp.seen.at(-1)?.url ?? ''}`).searchParams;
    assert.deepEqual([query.get('number'), query.get('caller')], ['7000', '1000'], 'from the recorded channel');
    assert.deepEqual(fs.executed, ['unset cti_curl', 'playback /ddt/fs/sounds/cti/echotest.wav']);
    assert.deepEqual([fs.bridged, fs.hangups, result.outcome], [['user/10001'], ['NORMAL_CLEARING'], 'ended']);
  });

  it('default.xml cti_bridge: the bridge app is asked, the gateway dialed, progress notified', async () => {
    const bridge = handOvers('default.xml').find((x) => x.variable === 'cti_bridge');
    const args = afterSet(bridge?.value ?? '').replace('http://127.0.0.1:3001/bridge', bridgeApp.url);
    const { fs, result } = await h.call({ variables: { cti_bridge: args }, bridges: ['answered'] });
    assert.equal(bridgeApp.requests.find((r) => r['uuid'] === fs.aUuid && r['action'] === 'request')?.['biz'], undefined, 'POST: biz stays in the URL, not the form');
    assert.deepEqual(fs.bridged, ['{origination_caller_id_number=123}sofia/gateway/gw/123456']);
    assert.deepEqual(bridgeApp.actions(fs.aUuid), ['ring', 'answer', 'hangup']);
    assert.deepEqual([result.answered, fs.hangups], [true, ['NORMAL_CLEARING']]);
  });

  it('default.xml cti_curl (an action with a fallback after socket): a failed app gives the call back with cti_curl_error', async () => {
    const curl = handOvers('default.xml').find((x) => x.variable === 'cti_curl');
    const template = afterSet(curl?.value ?? '').replace('http://127.0.0.1:3000', `${routeApp.url}/gone`);
    const before = routeApp.handler;
    routeApp.handler = (_req, res) => res.writeHead(500).end('down');
    try {
      const { fs, result } = await h.callCurl({ variables: { cti_curl: template } });
      assert.equal(result.outcome, 'failed');
      assert.deepEqual(fs.executed, ['unset cti_curl', 'set cti_curl_error=FREECTI_ERR_WEBHOOK_BAD_STATUS']);
      assert.deepEqual([fs.hangups, fs.aHangupCause()], [[], undefined], 'FreeSWITCH goes on with the hangup after socket');
    } finally {
      routeApp.handler = before;
    }
  });

  it('default.xml nbridge with a linegroup leg: cti_nbridge, a line of the group is bridged', async () => {
    const dial = handOvers('default.xml').find((x) => x.variable === 'cti_nbridge');
    const { fs, result } = await h.call({ variables: { cti_nbridge: afterSet(dial?.value ?? '', ['5551234']) }, bridges: ['answered'] });
    assert.match(fs.bridged[0] ?? '', /^\{ignore_early_media=true\}\[freecti_linegroup=default,freecti_line=a,.*\]sofia\/gateway\/gw-a\/5551234$/);
    assert.equal(result.answered, true);
  });
});
