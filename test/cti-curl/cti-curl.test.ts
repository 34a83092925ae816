/**
 * mod_cti's cti_curl on the outbound socket, end to end over real sockets: FreeSWITCH's
 * side dials freecti's OutboundServer with the recorded connect reply (plus `cti_curl`),
 * runs `bridge` with the recorded events; a real HTTP application answers the GET with
 * the seed's action list.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type BridgeHarness } from '../bridge/harness.js';
import { startAppServer, type AppServer } from '../bridge/app-server.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { LINGER_ORDERS } from '../fake-freeswitch/linger.js';

/** Seed 000's reply: play a file, then bridge to the agent's extension. */
const SEED_REPLY = [
  { application: 'playback', data: '/ddt/fs/sounds/cti/echotest.wav' },
  { application: 'bridge', data: 'user/10001' },
];

for (const lingerOrder of LINGER_ORDERS) describe(`cti_curl (FreeSWITCH order: ${lingerOrder})`, () => {
  let h: BridgeHarness;
  let outbound: BridgeHarness;
  let app: TestApp;
  let bridgeApp: AppServer;
  let reply: unknown = SEED_REPLY;
  let delayMs = 0;
  before(async () => {
    h = await startHarness({ lingerOrder, curl: { responseTimeoutMs: 400, connectTimeoutMs: 400 } });
    outbound = await startHarness({ lingerOrder, curl: { allowOutbound: true, responseTimeoutMs: 400 } });
    app = await startApp((_req, res) => {
      setTimeout(() => (typeof reply === 'string' ? res.writeHead(200, { 'content-type': 'application/json' }).end(reply) : json(res, reply)), delayMs);
    });
    bridgeApp = await startAppServer(() => ({ body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw', number: '95555' } }) }));
    await outbound.resolver.store.put('default', { maxAttempts: 2, lines: [{ id: 'a', gateway: 'gw-a', priority: 1 }, { id: 'b', gateway: 'gw-b', priority: 2 }] });
  });
  after(async () => {
    await app.close();
    await bridgeApp.close();
    await h.stop();
    await outbound.stop();
  });
  beforeEach(() => {
    reply = SEED_REPLY;
    delayMs = 0;
    app.seen.length = 0;
  });

  /** The seed's template as the migrated dialplan leaves it on the channel (`set` with `\${...}`). */
  const template = (): string => `${app.url}/app?number=\${destination_number}&note=\${agent_note}&ctx=\${Caller-Context}`;
  const warns = (harness: BridgeHarness, uuid: string) => harness.logs.filter((l) => l['uuid'] === uuid && l['level'] === 40);

  it("seed 000: GET with the live channel's variables url-encoded, playback then bridge, then the call ends", async () => {
    const { fs, result } = await h.callCurl({ variables: { cti_curl: template(), agent_note: 'A&B c=1' }, bridges: ['answered'] });
    assert.equal(app.seen.length, 1);
    assert.equal(app.seen[0]?.method, 'GET');
    // destination_number from Caller-Destination-Number, a header by its name, a channel variable url-encoded (one parameter).
    const query = new URL(`http://x${app.seen[0]?.url ?? ''}`).searchParams;
    assert.deepEqual([query.get('number'), query.get('ctx'), query.get('note')], ['7000', 'default', 'A&B c=1']);
    assert.deepEqual([...query.keys()], ['number', 'note', 'ctx']);
    assert.equal(app.seen[0]?.headers['x-request-id'], fs.aUuid);
    assert.deepEqual(fs.executed, ['unset cti_curl', 'playback /ddt/fs/sounds/cti/echotest.wav']);
    assert.deepEqual(fs.bridged, ['user/10001']);
    assert.deepEqual([result.outcome, fs.hangups], ['ended', ['NORMAL_CLEARING']]);
  });

  it('a list without hangup/bridge/transfer hands the call back to the dialplan: the socket closes, no hangup', async () => {
    reply = [{ application: 'set', data: 'agent=10001' }, { application: 'playback', data: '/sounds/hello.wav' }];
    const { fs, result } = await h.callCurl({ variables: { cti_curl: template() } });
    assert.deepEqual(fs.executed, ['unset cti_curl', 'set agent=10001', 'playback /sounds/hello.wav']);
    assert.deepEqual([result.outcome, fs.hangups, fs.aHangupCause()], ['handed-back', [], undefined]);
  });

  it('a failed bridge in the list: FreeSWITCH ends the call with its cause (busy)', async () => {
    const { fs, result } = await h.callCurl({ variables: { cti_curl: template() }, bridges: ['busy'] });
    assert.deepEqual([result.outcome, fs.aHangupCause()], ['ended', 'USER_BUSY']);
  });

  it('the caller hangs up while the application thinks: nothing runs, no warn line', async () => {
    delayMs = 300;
    const { fs, result } = await h.callCurl({ variables: { cti_curl: template() }, callerHangsUpAfterMs: 60 });
    assert.equal(result.outcome, 'ended');
    assert.deepEqual([fs.executed, fs.bridged, fs.hangups], [['unset cti_curl'], [], []]);
    assert.equal(fs.aHangupCause(), 'NORMAL_CLEARING');
    assert.equal(warns(h, fs.aUuid).length, 0);
  });

  describe('failures: cti_curl_error, one warn line, the call goes back to the dialplan', () => {
    const failsWith = async (variables: Record<string, string>, code: string, asked = true): Promise<void> => {
      const { fs, result } = await h.callCurl({ variables });
      assert.equal(result.outcome, 'failed');
      assert.equal(result.error?.code, code);
      assert.deepEqual(fs.executed, ['unset cti_curl', `set cti_curl_error=${code}`]);
      assert.deepEqual([fs.hangups, fs.aHangupCause()], [[], undefined]);
      assert.equal(warns(h, fs.aUuid).length, 1, JSON.stringify(warns(h, fs.aUuid)));
      assert.equal(app.seen.length, asked ? 1 : 0);
    };
    it('counted: freecti_cti_curl_calls_total by outcome', async () => {
      const counts = async (): Promise<Record<string, number>> =>
        Object.fromEntries(((await h.registry.getSingleMetric('freecti_cti_curl_calls_total')?.get())?.values ?? []).map((v) => [String(v.labels['outcome']), v.value]));
      const before = await counts();
      reply = 'not json';
      await h.callCurl({ variables: { cti_curl: template() } });
      reply = [{ application: 'set', data: 'x=1' }];
      await h.callCurl({ variables: { cti_curl: template() } });
      const now = await counts();
      assert.equal((now['failed'] ?? 0) - (before['failed'] ?? 0), 1);
      assert.equal((now['handed_back'] ?? 0) - (before['handed_back'] ?? 0), 1);
    });
    it('not JSON', async () => {
      reply = 'not json';
      await failsWith({ cti_curl: template() }, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
    });
    it('too late', async () => {
      delayMs = 1200;
      await failsWith({ cti_curl: template() }, 'FREECTI_ERR_WEBHOOK_TIMEOUT');
    });
    it('unreachable', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as { port: number }).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      await failsWith({ cti_curl: `http://127.0.0.1:${port}/app` }, 'FREECTI_ERR_WEBHOOK_UNREACHABLE', false);
    });
    it('an action the policy refuses: public-context scope, no gateway', async () => {
      reply = [{ application: 'bridge', data: 'sofia/gateway/gw/95555' }];
      await failsWith({ cti_curl: template() }, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
    });
    it('an application outside the allow-list', async () => {
      reply = [{ application: 'system', data: 'rm -rf /' }];
      await failsWith({ cti_curl: template() }, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
    });
    it("the ACD's queue action (routing replies only)", async () => {
      reply = [{ application: 'queue', data: 'support' }];
      await failsWith({ cti_curl: template() }, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
    });
    it("the nacd action (routing replies only)", async () => {
      reply = [{ application: 'nacd', data: '120' }];
      await failsWith({ cti_curl: template() }, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
    });
    it('a URL outside ctiCurl.allowedUrls is never asked', async () => {
      await failsWith({ cti_curl: 'http://169.254.169.254/latest/meta-data/?n=${destination_number}' }, 'FREECTI_ERR_BAD_REQUEST', false);
    });
    it('a variable in the host part is refused before anything is asked', async () => {
      await failsWith({ cti_curl: 'http://${sip_from_host}/app' }, 'FREECTI_ERR_BAD_REQUEST', false);
    });
  });

  describe('with ctiCurl.allowOutbound', () => {
    it('a reply cti_bridge runs on the same socket: the bridge app is asked and the gateway bridged', async () => {
      reply = [{ application: 'playback', data: '/sounds/wait.wav' }, { application: 'cti_bridge', data: `${bridgeApp.url} 3000 1000 0` }];
      const { fs, result } = await outbound.callCurl({ variables: { cti_curl: template() }, bridges: ['answered'] });
      assert.ok(bridgeApp.requests.some((r) => r['uuid'] === fs.aUuid && r['action'] === 'request'));
      assert.deepEqual(fs.bridged, ['sofia/gateway/gw/95555']);
      assert.deepEqual([result.outcome, fs.hangups], ['ended', ['NORMAL_CLEARING']]);
    });

    it('a reply bridge linegroup/<group>/<number> is dialed with line selection and failover', async () => {
      reply = [{ application: 'bridge', data: 'linegroup/default/5551234' }];
      const { fs, result } = await outbound.callCurl({ variables: { cti_curl: template() }, bridges: ['congestion', 'answered'] });
      assert.deepEqual(fs.bridged.map((d) => d.replace(/^.*\]/, '')), ['sofia/gateway/gw-a/5551234', 'sofia/gateway/gw-b/5551234']);
      assert.deepEqual([result.outcome, fs.hangups], ['ended', ['NORMAL_CLEARING']]);
    });

    it('a reply cti_bridge with continue_on_fail: after a busy callee the rest of the list runs', async () => {
      reply = [{ application: 'cti_bridge', data: `${bridgeApp.url} 3000 1000 0 continue_on_fail=true` }, { application: 'playback', data: '/sounds/busy.wav' }];
      const { fs, result } = await outbound.callCurl({ variables: { cti_curl: template() }, bridges: ['busy'] });
      assert.ok(fs.executed.includes('playback /sounds/busy.wav'), fs.executed.join(' | '));
      // The list held a cti_bridge: the call ends after it with the bridge's cause.
      assert.deepEqual([result.outcome, fs.hangups], ['ended', ['USER_BUSY']]);
    });
  });
});
