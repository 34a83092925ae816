/**
 * The callback option on the fake FreeSWITCH over real TCP (esl-acd recordings for the
 * caller; esl-control click-to-call / park-uuid-bridge for two originated legs bridged with
 * uuid_bridge), with a real engine on a real Redis: the caller presses the key, hears the
 * prompt and is hung up; the entry survives the hangup and the reaper; when an agent is
 * free the agent is originated first, then the customer, then the two are bridged; an
 * unanswered customer frees the agent and is retried, then dropped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { agentLegUuid } from '../../src/acd/calls/index.js';
import { AcdSwitch } from './acd-switch.js';
import { startInstance, type Instance } from './calls-rig.js';
import { agent, queue } from './helpers.js';

describe('ACD callback on FreeSWITCH', () => {
  const fx = useRedis();
  let sw: AcdSwitch;
  before(async () => {
    sw = await AcdSwitch.start();
  });
  after(async () => {
    await sw.close();
  });

  const stateOf = async (i: Instance, id: string): Promise<string | undefined> => (await i.engine.agentStatus(id))?.state;
  const verbs = (i: Instance, q: string): string[] => i.events.filter((e) => e.queue === q && e.event !== 'AGENTSTATE').map((e) => e.event);

  it('the key: prompt, hangup, the place is kept through the reaper; an agent is rung, then the customer, then both are bridged', async () => {
    const i = await startInstance(sw, fx.redis, uniquePrefix('acdcb'));
    try {
      await queue(i.engine, 'cb1', { callback: { enabled: true, key: '*', prompt: 'ivr/ivr-we_will_call_you_back.wav' } });
      await agent(i.engine, '2701', {}, { cb1: [1, 1] });
      const first = sw.caller(i.port, 'cb1');
      await waitFor(() => sw.nowPlaying(first.uuid) === 'playback local_stream://moh');
      const second = sw.caller(i.port, 'cb1');
      await waitFor(() => sw.nowPlaying(second.uuid) === 'playback local_stream://moh');
      sw.dtmf(first.uuid, '*');
      await waitFor(() => first.hangupCause !== undefined);
      assert.deepEqual(first.executed.slice(-1).map((e) => `${e.app} ${e.arg}`), ['playback ivr/ivr-we_will_call_you_back.wav']);
      assert.ok(sw.breaks.includes(`${first.uuid} all`), 'the hold music is broken for the prompt');
      assert.deepEqual(first.hangups, ['NORMAL_CLEARING']);
      // The reaper lists the node (the first caller's channel is gone): the callback entry stays, first in line.
      const swept = await i.calls.reaper.sweep();
      assert.deepEqual(swept.map((r) => r.callers), [0]);
      const waiting = await i.engine.callers('cb1');
      assert.deepEqual(waiting.map((c) => [c.position, c.callbackNumber ?? null]), [[1, '1000'], [2, null]]);
      assert.notEqual(waiting[0]!.callUuid, first.uuid);
      const customer = waiting[0]!.callUuid;

      const before = sw.originates.length;
      await i.engine.setAgentState('2701', 'available');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(customer)));
      const offer = i.offers.find((o) => o.callUuid === customer)!;
      const leg = agentLegUuid(offer.offerId);
      const [agentOriginate, customerOriginate, ...rest] = sw.originates.slice(before);
      assert.equal(rest.length, 0);
      assert.match(agentOriginate ?? '', new RegExp(`^\\{origination_uuid=${leg},origination_caller_id_number=1000,.*park_timeout=50,.*\\}user/2701 &park\\(\\)$`));
      assert.match(customerOriginate ?? '', new RegExp(`^\\{origination_uuid=${customer},originate_timeout=30,ignore_early_media=true,park_timeout=20,.*freecti_acd_callback=1\\}user/1000 &park\\(\\)$`));
      assert.equal(sw.bridges.at(-1), `${customer} ${leg}`);
      assert.equal(await stateOf(i, '2701'), 'in-call');
      assert.equal(sw.legs.get(customer)?.state, 'up');
      // The agent hangs up: the customer leg goes too (nothing keeps a uuid_bridge'd leg), the agent is free.
      sw.agentHangsUp(leg);
      await waitFor(() => sw.legs.get(customer)?.state === 'gone' && i.offers.at(-1)!.callUuid === second.uuid);
      assert.deepEqual(verbs(i, 'cb1').slice(0, 6), ['ENTERQUEUE', 'ENTERQUEUE', 'CALLBACK', 'OFFER', 'CONNECT', 'COMPLETEAGENT']);
      await waitFor(() => sw.bridges.some((b) => b.startsWith(second.uuid)));
      await second.hangup();
      await waitFor(async () => (await stateOf(i, '2701')) === 'available');
    } finally {
      await i.stop();
    }
  });

  it('the customer does not answer: the agent leg is hung up, the agent freed, the customer called again, then the entry leaves', async () => {
    const i = await startInstance(sw, fx.redis, uniquePrefix('acdcbr'));
    try {
      await queue(i.engine, 'cb2', { callback: { enabled: true, key: '5', retries: 1, retryDelaySec: 0, ringSec: 10 } });
      await agent(i.engine, '2801', {}, { cb2: [1, 1] });
      sw.script('1000', { kind: 'fail', cause: 'NO_ANSWER' }, { kind: 'fail', cause: 'USER_BUSY' });
      const call = sw.caller(i.port, 'cb2');
      await waitFor(() => sw.nowPlaying(call.uuid) === 'playback local_stream://moh');
      sw.dtmf(call.uuid, '5');
      await waitFor(() => call.hangupCause !== undefined);
      const before = sw.originates.length;
      await i.engine.setAgentState('2801', 'available');
      await waitFor(() => i.events.some((e) => e.event === 'EXITCALLBACK'));
      await waitFor(async () => (await stateOf(i, '2801')) === 'available');
      const dialled = sw.originates.slice(before).map((o) => /user\/(\d+)/.exec(o)?.[1]);
      assert.deepEqual(dialled, ['2801', '1000', '2801', '1000']);
      const offers = i.offers.filter((o) => o.queue === 'cb2');
      assert.deepEqual(offers.map((o) => o.callback?.attempt), [1, 2]);
      for (const o of offers) assert.ok(sw.kills.includes(agentLegUuid(o.offerId)), 'the waiting agent is hung up');
      assert.equal(sw.bridges.filter((b) => offers.some((o) => b.startsWith(o.callUuid))).length, 0, 'never bridged');
      assert.equal((await i.engine.agentStatus('2801'))?.noAnswers, 0, 'no penalty for the agent');
      assert.deepEqual(await i.engine.callers('cb2'), []);
      const misses = i.events.filter((e) => e.event === 'CALLBACKNOANSWER').map((e) => e.data.reason);
      assert.deepEqual(misses, ['NO_ANSWER', 'USER_BUSY']);
      assert.equal(i.events.find((e) => e.event === 'EXITCALLBACK')?.data.reason, 'no-answer');
      assert.deepEqual(verbs(i, 'cb2'), ['ENTERQUEUE', 'CALLBACK', 'OFFER', 'CONNECT', 'CALLBACKNOANSWER', 'OFFER', 'CONNECT', 'CALLBACKNOANSWER', 'EXITCALLBACK']);
    } finally {
      await i.stop();
    }
  });

  it('the agent hangs up while the customer rings: the customer leg is killed, the entry waits again in its place', async () => {
    const i = await startInstance(sw, fx.redis, uniquePrefix('acdcbl'));
    try {
      await queue(i.engine, 'cb4', { callback: { enabled: true, key: '*', retryDelaySec: 600 } });
      await agent(i.engine, '2901', {}, { cb4: [1, 1] });
      sw.script('1000', { kind: 'ring' });
      const call = sw.caller(i.port, 'cb4');
      await waitFor(() => sw.nowPlaying(call.uuid) === 'playback local_stream://moh');
      sw.dtmf(call.uuid, '*');
      await waitFor(() => call.hangupCause !== undefined);
      await i.engine.setAgentState('2901', 'available');
      const offer = await (async () => {
        await waitFor(() => i.offers.some((o) => o.queue === 'cb4') && sw.legs.get(i.offers.find((o) => o.queue === 'cb4')!.callUuid)?.state === 'ringing');
        return i.offers.find((o) => o.queue === 'cb4')!;
      })();
      sw.agentHangsUp(agentLegUuid(offer.offerId));
      await waitFor(() => i.events.some((e) => e.event === 'CALLBACKNOANSWER'));
      assert.ok(sw.kills.includes(offer.callUuid), 'the customer leg is killed');
      assert.equal(sw.legs.get(offer.callUuid)?.state, 'gone');
      assert.equal(i.events.find((e) => e.event === 'CALLBACKNOANSWER')?.data.reason, 'agent-left');
      await waitFor(async () => (await stateOf(i, '2901')) === 'available');
      const waiting = await i.engine.callers('cb4');
      assert.deepEqual(waiting.map((c) => [c.position, c.callbackNumber]), [[1, '1000']]);
      assert.equal(i.offers.filter((o) => o.queue === 'cb4').length, 1, 'not offered again before the retry delay');
    } finally {
      await i.stop();
    }
  });

  it('a queue whose callback is off: the key does nothing, the caller keeps waiting with its music', async () => {
    const i = await startInstance(sw, fx.redis, uniquePrefix('acdcbn'));
    try {
      await queue(i.engine, 'cb3', { callback: { enabled: false, key: '*' }, exitKeys: { '1': { type: 'hangup' } } });
      const call = sw.caller(i.port, 'cb3');
      await waitFor(() => sw.nowPlaying(call.uuid) === 'playback local_stream://moh');
      // The key is not a callback key in this queue; the exit key after it is read in order and ends the wait.
      sw.dtmf(call.uuid, '*');
      sw.dtmf(call.uuid, '1');
      await waitFor(() => call.hangupCause !== undefined);
      assert.deepEqual(verbs(i, 'cb3'), ['ENTERQUEUE', 'EXITWITHKEY']);
      assert.deepEqual(call.executed.map((e) => e.app), ['answer', 'playback']);
    } finally {
      await i.stop();
    }
  });
});
