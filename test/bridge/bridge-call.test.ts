/**
 * cti_bridge end to end over real sockets: FreeSWITCH's side (scripted from the
 * recordings) dials freecti's OutboundServer; a real HTTP application answers
 * `action=request` and receives the progress notifications.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAppServer, type AppReply, type AppServer } from './app-server.js';
import { LINGER_ORDERS } from '../fake-freeswitch/linger.js';
import { startHarness, type BridgeHarness } from './harness.js';
import type { BridgeOutcomeName } from './scenarios.js';

// Every test runs twice: the channel's last events before the disconnect-notice, and after it.
for (const lingerOrder of LINGER_ORDERS) describe(`FreeSWITCH order: ${lingerOrder}`, () => {
  let h: BridgeHarness;
  let app: AppServer;
  let reply: AppReply = { body: '{}' };
  before(async () => {
    h = await startHarness({ lingerOrder });
    app = await startAppServer(() => reply);
  });
  after(async () => {
    await app.close();
    await h.stop();
  });

  const gatewayReply = JSON.stringify({
    variables: { origination_caller_id_number: '123', absolute_codec_string: 'PCMA,PCMU' },
    dial: { type: 'gateway', number: '123456', gateway: 'gw' },
  });

  async function bridgeCall(body: string | AppReply, bridges: BridgeOutcomeName[] = ['answered'], notify = '1', extra: { callerHangsUpAfterMs?: number } = {}) {
    reply = typeof body === 'string' ? { body } : body;
    return h.call({ variables: { cti_bridge: `${app.url}?tenant=7 3000 500 ${notify}` }, bridges, ...extra });
  }

  describe('cti_bridge request and notifications', () => {
    it('answered call: request fields, the gateway dial string, ring/answer/hangup once each and in order', async () => {
      const { fs, result } = await bridgeCall(gatewayReply, ['answered']);
      const request = app.requests.find((r) => r['uuid'] === fs.aUuid && r['action'] === 'request');
      assert.ok(request);
      assert.equal(request['caller'], '1000');
      assert.equal(request['callee'], '7000');
      assert.equal(request['direction'], 'inbound');
      assert.equal(request['variable_current_application'], 'socket');
      assert.match(request['variable_cti_bridge'] ?? '', /^http:\/\/127\.0\.0\.1/);
      assert.deepEqual(fs.bridged, ['{origination_caller_id_number=123,absolute_codec_string=PCMA\\,PCMU}sofia/gateway/gw/123456']);
      // The recorded B leg sent CHANNEL_PROGRESS (180) and CHANNEL_ANSWER; the A leg's own
      // PROGRESS_MEDIA and ANSWER must not count.
      assert.deepEqual(app.actions(fs.aUuid), ['ring', 'answer', 'hangup']);
      const hangup = app.requests.find((r) => r['uuid'] === fs.aUuid && r['action'] === 'hangup');
      assert.equal(hangup?.['cause'], 'NORMAL_CLEARING');
      assert.equal(hangup?.['cause_code'], '16');
      assert.match(hangup?.['b_uuid'] ?? '', /^[0-9a-f-]{36}$/);
      assert.deepEqual(fs.hangups, ['NORMAL_CLEARING']);
      assert.deepEqual([result.cause, result.answered], ['NORMAL_CLEARING', true]);
    });

    it('486 busy: no failover, hangup USER_BUSY to the caller, notification hangup with cause and SIP code', async () => {
      const { fs, result } = await bridgeCall(gatewayReply, ['busy', 'answered']);
      assert.equal(fs.bridged.length, 1);
      assert.deepEqual(app.actions(fs.aUuid), ['hangup']);
      const hangup = app.requests.find((r) => r['uuid'] === fs.aUuid && r['action'] === 'hangup');
      assert.deepEqual([hangup?.['cause'], hangup?.['cause_code'], hangup?.['sip_code']], ['USER_BUSY', '17', '486']);
      // No continue_on_fail for a single dial: FreeSWITCH's bridge hangs the caller up with the cause itself.
      assert.deepEqual([fs.hangups, fs.aHangupCause()], [[], 'USER_BUSY']);
      assert.deepEqual([result.cause, result.answered], ['USER_BUSY', false]);
      assert.equal(h.lingerTimeouts(), 0);
    });

    it('unregistered user: the number at its contact, which FreeSWITCH says is none; hangup USER_NOT_REGISTERED', async () => {
      const { fs } = await bridgeCall(JSON.stringify({ dial: { type: 'user', number: '123456', user: '1015' } }), ['unregistered']);
      assert.deepEqual(fs.apis, ['sofia_contact */1015@127.0.0.1']);
      assert.deepEqual(fs.bridged, ['error/user_not_registered']);
      assert.deepEqual([fs.hangups, fs.aHangupCause()], [[], 'USER_NOT_REGISTERED']);
      assert.deepEqual(app.actions(fs.aUuid), ['hangup']);
      assert.equal(app.requests.find((r) => r['uuid'] === fs.aUuid && r['action'] === 'hangup')?.['cause'], 'USER_NOT_REGISTERED');
      assert.ok(!h.logs.some((l) => l['uuid'] === fs.aUuid && String(l['msg']).includes('caller is gone')));
    });

    it('answered, then the caller hangs up (issue 9): NORMAL_CLEARING, never ORIGINATOR_CANCEL, whatever the order of the notice', async () => {
      for (let i = 0; i < 5; i++) {
        const { fs, result } = await bridgeCall(JSON.stringify({ dial: { type: 'user', number: '1001', user: '1001' } }), ['answered-caller-hangs-up']);
        assert.deepEqual(app.actions(fs.aUuid), ['ring', 'answer', 'hangup']);
        const hangup = app.requests.find((r) => r['uuid'] === fs.aUuid && r['action'] === 'hangup');
        assert.deepEqual([hangup?.['cause'], hangup?.['cause_code']], ['NORMAL_CLEARING', '16']);
        assert.deepEqual([result.cause, result.answered], ['NORMAL_CLEARING', true]);
        assert.deepEqual([fs.hangups, fs.aHangupCause()], [[], 'NORMAL_CLEARING']);
      }
      assert.equal(h.lingerTimeouts(), 0);
    });

    it('notify_type 0: the request only, no notifications', async () => {
      const { fs } = await bridgeCall(gatewayReply, ['answered'], '0');
      assert.deepEqual(app.actions(fs.aUuid), []);
      assert.equal(app.requests.filter((r) => r['uuid'] === fs.aUuid).length, 1);
    });

    it('a failed notification is retried and the order kept', async () => {
      const flaky = await startAppServer(() => ({ body: gatewayReply }), { failNotifications: 2 });
      try {
        const { fs } = await h.call({ variables: { cti_bridge: `${flaky.url} 3000 1000 1` }, bridges: ['answered'] });
        assert.deepEqual(flaky.actions(fs.aUuid), ['ring', 'answer', 'hangup']);
      } finally {
        await flaky.close();
      }
    });

    it('the caller hangs up while the application thinks: no bridge, a hangup notification', async () => {
      const { fs } = await bridgeCall({ body: gatewayReply, delayMs: 400 }, ['answered'], '1', { callerHangsUpAfterMs: 100 });
      assert.deepEqual(fs.bridged, []);
      assert.deepEqual(app.actions(fs.aUuid), ['hangup']);
    });
  });
});
