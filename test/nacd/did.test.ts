/**
 * DID in and out (nin_did / nout_did as `set nacd_did=in|out` + socket) on the fake
 * FreeSWITCH's outbound mode with the recorded bridges, the tables in a real Redis, the
 * seed app (test/nacd/seed-app.ts) for a DID that leads to a group.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startNacdHarness, type NacdHarness } from './harness.js';
import { startSeedApp, type SeedApp } from './seed-app.js';
import { json, startApp } from '../webhook/http-app.js';

describe('nacd DID in and out', () => {
  let h: NacdHarness;
  let app: SeedApp;
  before(async () => {
    h = await startNacdHarness();
    app = await startSeedApp();
    for (const group of ['119', '120']) await h.groups.put(group, { callflowUrl: `${app.url}/callflow` });
    await h.resolver.store.put('out', { maxAttempts: 2, lines: [{ id: 'a', gateway: 'gw-a', priority: 1 }, { id: 'b', gateway: 'gw-b', priority: 2 }] });
    h.fake.onExecute('play_and_get_digits', () => ({ variables: { nacd_survey: '4' } }));
  });
  after(async () => {
    await app.close();
    await h.stop();
  });
  beforeEach(() => {
    app.requests.length = 0;
  });

  // The fake's calls dial 7000 from 1000.
  it('in: a DID leading to a group runs its callflow with middle_number = the DID', async () => {
    await h.did.in.put('7000', { type: 'group', group: '119' });
    const { fs, result } = await h.call('', { variables: { nacd_did: 'in' } });
    assert.equal(result.outcome, 'hungup');
    assert.deepEqual(fs.executed, ['unset nacd_did', 'answer ', 'playback goodbye.wav']);
    assert.deepEqual(app.requests.map((r) => [r.group_number, r.callee_number, r.middle_number]), [['119', '7000', '7000']]);
  });

  it('in: a DID leading to an extension transfers the call there (the caller\'s context by default)', async () => {
    await h.did.in.put('7000', { type: 'extension', extension: '1001' });
    const { fs, result } = await h.call('', { variables: { nacd_did: 'in' } });
    assert.equal(result.outcome, 'transferred');
    assert.deepEqual(fs.executed, ['unset nacd_did', 'transfer 1001 XML default']);
  });

  it('in: a DID leading to a queue hands the caller to the ACD entry', async () => {
    await h.did.in.put('7000', { type: 'queue', queue: 'support', priority: 3 });
    const { fs, result } = await h.call('', { variables: { nacd_did: 'in' } });
    assert.equal(result.outcome, 'queued');
    assert.deepEqual(h.queued.at(-1), { uuid: fs.aUuid, request: { queue: 'support', priority: 3 } });
  });

  it('in: a number without an entry gets the fallback (prompt and hangup, one warn line)', async () => {
    await h.did.in.delete('7000');
    const { fs, result } = await h.call('', { variables: { nacd_did: 'in' } });
    assert.equal(result.outcome, 'fallback');
    assert.deepEqual(fs.executed, ['unset nacd_did', 'answer ', 'playback ivr/ivr-call_cannot_be_completed_as_dialed.wav']);
    assert.deepEqual(fs.hangups, ['NORMAL_CLEARING']);
    assert.equal(h.warns(fs.aUuid).length, 1);
  });

  it("out: the caller's DID-out caller id, the dialed number through its line group with failover", async () => {
    await h.did.out.put('1000', { callerId: '4008001234', linegroup: 'out' });
    const { fs, result } = await h.call('', { variables: { nacd_did: 'out' }, bridges: ['congestion', 'answered'] });
    assert.equal(result.outcome, 'hungup');
    assert.deepEqual(fs.bridged.map((d) => [/origination_caller_id_number=4008001234/.test(d), d.replace(/^.*[\]}]/, '')]), [[true, 'sofia/gateway/gw-a/7000'], [true, 'sofia/gateway/gw-b/7000']]);
    assert.deepEqual(fs.hangups, ['NORMAL_CLEARING']);
  });

  it('out: a gateway entry', async () => {
    await h.did.out.put('1000', { callerId: '4008001234', gateway: 'carrier' });
    const { fs } = await h.call('', { variables: { nacd_did: 'out' }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, ['{origination_caller_id_number=4008001234,origination_caller_id_name=4008001234}sofia/gateway/carrier/7000']);
  });

  it('out: a caller without an entry: nacd_did_error=not_found, the dialplan goes on (no hangup)', async () => {
    await h.did.out.delete('1000');
    const { fs, result } = await h.call('', { variables: { nacd_did: 'out' } });
    assert.equal(result.outcome, 'handed-back');
    assert.deepEqual([fs.executed, fs.hangups, fs.aHangupCause()], [['unset nacd_did', 'set nacd_did_error=not_found'], [], undefined]);
  });

  it('out: a dialed number that is not a plain number is not spliced into the dial string (nacd_did_error=bad_number, the dialplan goes on)', async () => {
    await h.did.out.put('1000', { callerId: '4008001234', gateway: 'carrier' });
    const { fs, result } = await h.call('', { variables: { nacd_did: 'out' }, destinationNumber: '7000,sofia/gateway/other/8000', bridges: ['answered'] });
    assert.equal(result.outcome, 'handed-back');
    assert.deepEqual([fs.bridged, fs.executed, fs.hangups], [[], ['unset nacd_did', 'set nacd_did_error=bad_number'], []]);
    assert.equal(h.warns(fs.aUuid).length, 1);
  });

  it('out: a plain dialed number its line group cannot dial (not digits) goes back to the dialplan too (nacd_did_error=bad_number, no hangup)', async () => {
    await h.did.out.put('1000', { callerId: '4008001234', linegroup: 'out' });
    const { fs, result } = await h.call('', { variables: { nacd_did: 'out' }, destinationNumber: '7000-1', bridges: ['answered'] });
    assert.equal(result.outcome, 'handed-back');
    assert.deepEqual([fs.bridged, fs.executed, fs.hangups], [[], ['unset nacd_did', 'set nacd_did_error=bad_number'], []]);
    assert.equal(h.warns(fs.aUuid).length, 1);
  });

  it("a nacd bridge without ad_display_number shows the group's DID-out caller id; with one, the reply's wins", async () => {
    const bridgeApp = await startApp((req, res) => json(res, { action: 'bridge', action_data: { ad_number: '10002', ad_display_number: req.url === '/shown' ? '5550000' : '' } }));
    try {
      await h.groups.put('130', { callflowUrl: `${bridgeApp.url}/plain` });
      await h.groups.put('131', { callflowUrl: `${bridgeApp.url}/shown` });
      for (const group of ['130', '131']) await h.did.out.put(group, { callerId: '4008009999', gateway: 'unused' });
      const plain = await h.call('130', { bridges: ['answered'] });
      assert.deepEqual(plain.fs.bridged, ['{leg_timeout=30,origination_caller_id_number=4008009999}user/10002']);
      const shown = await h.call('131', { bridges: ['answered'] });
      assert.deepEqual(shown.fs.bridged, ['{leg_timeout=30,origination_caller_id_number=5550000}user/10002']);
    } finally {
      await bridgeApp.close();
    }
  });

  it('the tables validate what they store', async () => {
    await assert.rejects(h.did.out.put('1000', { callerId: '400', linegroup: 'a', gateway: 'b' }), /exactly one/);
    await assert.rejects(h.did.in.put('70 00', { type: 'group', group: '1' }), /plain number/);
    await assert.rejects(h.did.in.put('7000', { type: 'extension', extension: '1;x' }), /plain number/);
  });
});
