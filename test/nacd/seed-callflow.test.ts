/**
 * Seed 004 end to end: the seed's Go server (as test/nacd/seed-app.ts, a real HTTP server)
 * drives calls that FreeSWITCH's side (the fake's outbound mode, bridges from the
 * recordings) hands to freecti's outbound socket with `nacd_group`, on a real Redis.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startNacdHarness, type NacdHarness } from './harness.js';
import { startSeedApp, type SeedApp } from './seed-app.js';
import { LINGER_ORDERS } from '../fake-freeswitch/linger.js';

const REQUEST_FIELDS = ['sip_network_ip', 'sip_network_port', 'timestamp', 'event', 'direction', 'caller_number', 'call_uuid', 'callee_number', 'group_number', 'middle_number', 'dtmf', 'additional_data'];

/** Waits until `n` events of the call arrived (event push runs after the call, in the background). */
async function eventsOf(app: SeedApp, uuid: string, n: number): Promise<SeedApp['events']> {
  for (let i = 0; i < 200; i += 1) {
    const mine = app.events.filter((e) => e.call_uuid === uuid);
    if (mine.length >= n) return mine;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return app.events.filter((e) => e.call_uuid === uuid);
}

for (const lingerOrder of LINGER_ORDERS) describe(`nacd: the seed's four replies (FreeSWITCH order: ${lingerOrder})`, () => {
  let h: NacdHarness;
  let app: SeedApp;
  before(async () => {
    h = await startNacdHarness({ lingerOrder });
    app = await startSeedApp();
    for (const group of ['120', '110', '119', '122']) await h.groups.put(group, { callflowUrl: `${app.url}/callflow`, eventUrl: `${app.url}/event` });
    h.fake.onExecute('play_and_get_digits', ({ arg }) => (arg.includes('nacd_survey') ? { variables: { nacd_survey: '5' } } : { variables: { nacd_dtmf: '12' } }));
  });
  after(async () => {
    await app.close();
    await h.stop();
  });
  beforeEach(() => {
    app.requests.length = 0;
  });

  it('120: the request has exactly the seed fields; bridge to extension 10002 with the agent id, wait ring, then the survey, events pushed', async () => {
    const { fs, result } = await h.call('120', { bridges: ['answered'] });
    assert.equal(result.outcome, 'hungup');
    const first = app.requests[0];
    assert.ok(first !== undefined);
    assert.deepEqual(Object.keys(first), REQUEST_FIELDS);
    assert.deepEqual({ ...first, timestamp: 'T' }, {
      sip_network_ip: '192.0.2.10', sip_network_port: '5060', timestamp: 'T', event: 'incoming', direction: 'inbound', caller_number: '1000',
      call_uuid: fs.aUuid, callee_number: '7000', group_number: '120', middle_number: '7000', dtmf: '', additional_data: {},
    });
    assert.match(first.timestamp, /^\d{10}$/);
    assert.ok(Math.abs(Number(first.timestamp) - Date.now() / 1000) < 60);
    assert.deepEqual(fs.executed, [
      'unset nacd_group',
      'set continue_on_fail=true',
      'set hangup_after_bridge=false',
      'set ringback=wait_for_answer_ring.wav',
      'set bridge_pre_execute_aleg_app=playback',
      'set bridge_pre_execute_aleg_data=file_string://digits/1.wav!digits/0.wav!digits/0.wav!digits/8.wav!digits/6.wav',
      'unset nacd_survey',
      'play_and_get_digits 1 1 3 5000 # ivr/ivr-please_rate_our_service.wav ivr/ivr-that_was_an_invalid_entry.wav nacd_survey [1-5]',
    ]);
    assert.deepEqual(fs.bridged, ['{leg_timeout=30,origination_caller_id_number=1000}user/10002']);
    assert.deepEqual(fs.hangups, ['NORMAL_CLEARING']);
    const events = await eventsOf(app, fs.aUuid, 5);
    assert.deepEqual(events.map((e) => [e.event, e.direction, e.callee_number, e.dtmf]), [
      ['incoming', 'inbound', '7000', ''],
      ['callout', 'outbound', '10002', ''],
      ['answered', 'outbound', '10002', ''],
      ['dtmf', 'inbound', '7000', '5'],
      ['hangup', 'inbound', '7000', ''],
    ]);
    assert.deepEqual(events[3]?.additional_data, { nacd_survey: true });
    for (const e of events) assert.deepEqual(Object.keys(e).filter((k) => k !== 'headers'), REQUEST_FIELDS);
    assert.equal(new Set(events.map((e) => e.headers['x-request-id'])).size, events.length);
    assert.equal(h.warns(fs.aUuid).length, 0);
  });

  it('110: dtmf_audio, two digits (dtmf_bad_audio between tries), event dtmf pushed and posted, the next reply runs', async () => {
    const { fs, result } = await h.call('110');
    assert.equal(result.outcome, 'hungup');
    assert.deepEqual(fs.executed, [
      'unset nacd_group',
      'answer ',
      'unset nacd_dtmf',
      'play_and_get_digits 2 2 3 5000 # /home/ivr.wav /home/ivr_bad.wav nacd_dtmf \\d{2}',
      'playback goodbye.wav',
    ]);
    assert.deepEqual(app.requests.map((r) => [r.event, r.dtmf]), [['incoming', ''], ['dtmf', '12']]);
    assert.deepEqual(fs.hangups, ['NORMAL_CLEARING']);
    const events = await eventsOf(app, fs.aUuid, 3);
    assert.deepEqual(events.map((e) => [e.event, e.dtmf]), [['incoming', ''], ['dtmf', '12'], ['hangup', '']]);
  });

  it('119: ad_rings goodbye.wav, then hangup', async () => {
    const { fs, result } = await h.call('119');
    assert.equal(result.outcome, 'hungup');
    assert.deepEqual(fs.executed, ['unset nacd_group', 'answer ', 'playback goodbye.wav']);
    assert.deepEqual(fs.hangups, ['NORMAL_CLEARING']);
    assert.deepEqual(app.requests.map((r) => r.event), ['incoming']);
    const events = await eventsOf(app, fs.aUuid, 2);
    assert.deepEqual(events.map((e) => e.event), ['incoming', 'hangup']);
  });

  it('122: ad_rings alice.wav, then the callflow is asked again (event playback)', async () => {
    const { fs, result } = await h.call('122');
    assert.equal(result.outcome, 'hungup');
    assert.deepEqual(fs.executed, ['unset nacd_group', 'answer ', 'playback alice.wav', 'playback goodbye.wav']);
    assert.deepEqual(app.requests.map((r) => [r.event, r.group_number]), [['incoming', '122'], ['playback', '122']]);
  });

  it('120 with a busy agent: bridge_fail_ring, then the callflow is asked again with the cause', async () => {
    const { fs, result } = await h.call('120', { bridges: ['busy', 'answered'] });
    assert.equal(result.outcome, 'hungup');
    assert.equal(fs.bridged.length, 2);
    assert.ok(fs.executed.includes('playback bridge_fail_ring.wav'), fs.executed.join(' | '));
    assert.deepEqual(app.requests.map((r) => [r.event, r.additional_data]), [['incoming', {}], ['bridge_fail', { bridge_fail_cause: 'USER_BUSY' }]]);
    // The second bridge: the caller was answered for bridge_fail_ring, so the ring is transfer_ringback too.
    assert.ok(fs.executed.includes('set transfer_ringback=wait_for_answer_ring.wav'));
  });
});
