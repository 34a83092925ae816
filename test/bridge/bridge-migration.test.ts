/**
 * cti_bridge as mod_cti users write it (issue 13 item 3), end to end over real sockets:
 * a gateway registered as an extension (`user` + `number`), continue_on_fail, `sipcode`
 * as a string, and an application that wants GET requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:net';
import { startAppServer, type AppReply, type AppServer } from './app-server.js';
import { startHarness, type BridgeHarness } from './harness.js';

describe('cti_bridge: what mod_cti applications send', () => {
  let h: BridgeHarness;
  let app: AppServer;
  let reply: AppReply = { body: '{}' };
  before(async () => {
    h = await startHarness();
    app = await startAppServer(() => reply);
  });
  after(async () => {
    await app.close();
    await h.stop();
  });

  it('user + number (a gateway registered as extension gw1): the number is dialed at the registered contact', async () => {
    reply = { body: JSON.stringify({ variables: { origination_caller_id_number: '95555' }, dial: { type: 'user', number: '13800000000', user: 'gw1', domain: 'pbx.example' } }) };
    const fs = await h.call({
      variables: { cti_bridge: `${app.url} 3000 1000 0` },
      bridges: ['answered'],
      sofiaContact: (arg) => (arg === '*/gw1@pbx.example' ? 'sofia/internal/sip:gw1@192.0.2.7:5072;fs_nat=yes' : 'error/user_not_registered'),
    });
    assert.deepEqual(fs.fs.apis, ['sofia_contact */gw1@pbx.example']);
    assert.deepEqual(fs.fs.bridged, ['{origination_caller_id_number=95555}sofia/internal/sip:13800000000@192.0.2.7:5072;fs_nat=yes']);
    assert.deepEqual([fs.result.cause, fs.result.answered], ['NORMAL_CLEARING', true]);
  });

  it('user + number with two registrations: both contacts, comma separated like FreeSWITCH\'s user/ dial string', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'user', number: '5551234', user: 'gw2' } }) };
    const { fs } = await h.call({
      variables: { cti_bridge: `${app.url} 3000 1000 0` },
      bridges: ['answered'],
      sofiaContact: () => 'sofia/internal/sip:gw2@192.0.2.7:5072,sofia/external/sip:gw2@198.51.100.3:5060;transport=tcp',
    });
    // No domain in the reply: the caller's domain_name (127.0.0.1 in the recorded channel).
    assert.deepEqual(fs.apis, ['sofia_contact */gw2@127.0.0.1']);
    assert.deepEqual(fs.bridged, ['sofia/internal/sip:5551234@192.0.2.7:5072,sofia/external/sip:5551234@198.51.100.3:5060;transport=tcp']);
  });

  it('user without a different number: user/<user> as before, no sofia_contact', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'user', number: '1001', user: '1001' } }) };
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0` }, bridges: ['answered'] });
    assert.deepEqual([fs.apis, fs.bridged], [[], ['user/1001']]);
  });

  it('continue_on_fail=true: a busy callee gives the call back to the dialplan (no hangup), cti_bridge_cause set', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw', number: '123456' } }) };
    const { fs, result } = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0 continue_on_fail=true` }, bridges: ['busy'] });
    assert.deepEqual(fs.bridged, ['sofia/gateway/gw/123456']);
    assert.ok(fs.executed.includes('set continue_on_fail=true'), fs.executed.join(' | '));
    assert.ok(fs.executed.includes('set cti_bridge_cause=USER_BUSY'), fs.executed.join(' | '));
    assert.deepEqual(fs.executed.slice(-3), ['unset cti_bridge', 'unset cti_dial', 'unset cti_nbridge'], 'a later socket of the call is not this bridge again');
    assert.deepEqual([fs.hangups, fs.aHangupCause()], [[], undefined]);
    assert.deepEqual([result.cause, result.answered, result.continued], ['USER_BUSY', false, true]);
  });

  it("the channel's continue_on_fail as a cause list (FreeSWITCH's form): given back for a listed cause only, nothing set by freecti", async () => {
    reply = { body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw', number: '123456' } }) };
    const listed = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0`, continue_on_fail: 'NO_ANSWER,17' }, bridges: ['busy'] });
    assert.ok(!listed.fs.executed.includes('set continue_on_fail=true'), listed.fs.executed.join(' | '));
    assert.deepEqual([listed.result.continued, listed.fs.aHangupCause()], [true, undefined], 'USER_BUSY is Q.850 17');
    const other = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0`, continue_on_fail: 'NO_ANSWER' }, bridges: ['busy'] });
    assert.deepEqual([other.result.continued, other.fs.aHangupCause()], [undefined, 'USER_BUSY']);
    // The option word wins over the channel's variable.
    const word = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0 continue_on_fail=false`, continue_on_fail: 'true' }, bridges: ['busy'] });
    assert.equal(word.result.continued, undefined);
  });

  it('without continue_on_fail a busy callee still ends the call (FreeSWITCH hangs up with USER_BUSY)', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw', number: '123456' } }) };
    const { fs, result } = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0` }, bridges: ['busy'] });
    assert.equal(fs.aHangupCause(), 'USER_BUSY');
    assert.equal(result.continued, undefined);
  });

  it("the channel's own continue_on_fail=true and an unreachable application: the dialplan goes on, cti_bridge_error set", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { fs, result } = await h.call({ variables: { cti_bridge: `http://127.0.0.1:${port}/gone 500 500 0`, continue_on_fail: 'true' } });
    assert.deepEqual(fs.bridged, []);
    assert.ok(fs.executed.includes('set cti_bridge_error=FREECTI_ERR_WEBHOOK_UNREACHABLE'), fs.executed.join(' | '));
    assert.ok(fs.executed.includes('set cti_bridge_cause=NORMAL_TEMPORARY_FAILURE'), fs.executed.join(' | '));
    assert.deepEqual([fs.hangups, fs.aHangupCause(), result.continued], [[], undefined, true]);
    assert.equal(h.logs.filter((l) => l['uuid'] === fs.aUuid && l['level'] === 40).length, 1, 'one warn line');
  });

  it('"sipcode": "486" as a string: respond 486, hangup USER_BUSY', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'hangup', sipcode: '486' } }) };
    const { fs, result } = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0` } });
    assert.ok(fs.executed.includes('respond 486'), fs.executed.join(' | '));
    assert.deepEqual([fs.hangups, result.cause], [['USER_BUSY'], 'USER_BUSY']);
  });

  it('"sipcode": "48x" is refused as a bad reply', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'hangup', sipcode: '48x' } }) };
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0` } });
    assert.ok(fs.executed.includes('set cti_bridge_error=FREECTI_ERR_BRIDGE_BAD_REPLY'), fs.executed.join(' | '));
    assert.deepEqual(fs.hangups, ['INVALID_MSG_UNSPECIFIED']);
  });

  it('method=GET: the request and the notifications are GETs with the fields in the query string', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw', number: '123456' } }) };
    const before = app.methods.length;
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url}?biz=7 3000 1000 1 method=GET` }, bridges: ['answered'] });
    const mine = app.requests.filter((r) => r['uuid'] === fs.aUuid);
    assert.deepEqual(mine.map((r) => r['action']), ['request', 'ring', 'answer', 'hangup']);
    assert.ok(mine.every((r) => r['biz'] === '7'), 'the URL keeps its own query');
    assert.equal(mine[0]?.['callee'], '7000');
    assert.deepEqual(app.methods.slice(before), ['GET', 'GET', 'GET', 'GET']);
  });

  it('a bad option word is a bad argument', async () => {
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 1000 0 method=PUT` } });
    assert.ok(fs.executed.includes('set cti_bridge_error=FREECTI_ERR_BRIDGE_BAD_ARGS'), fs.executed.join(' | '));
    assert.deepEqual(fs.hangups, ['INVALID_MSG_UNSPECIFIED']);
  });
});
