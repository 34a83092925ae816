/**
 * The ACD call half on the fake FreeSWITCH (esl-acd recordings) over real TCP, with a real
 * engine on a real Redis: a caller joins through the outbound socket, the agent leg is
 * originated with the caller's id and the offer timeout, bridged with uuid_bridge, and
 * every way out (no answer, reject, abandon mid-offer, exit key, max wait) ends with the
 * agent free and the queue empty.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { agentLegUuid, ORPHAN_DIGIT_GRACE_MS } from '../../src/acd/calls/index.js';
import { AcdSwitch } from './acd-switch.js';
import { startInstance, type Instance } from './calls-rig.js';
import { agent, queue, silent } from './helpers.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { pino } from 'pino';
import { Keys } from '../../src/keys.js';

describe('ACD calls on FreeSWITCH', () => {
  const fx = useRedis();
  let sw: AcdSwitch;
  before(async () => {
    sw = await AcdSwitch.start();
  });
  after(async () => {
    await sw.close();
  });

  async function rig(): Promise<Instance> {
    return startInstance(sw, fx.redis, uniquePrefix('acdcalls'));
  }

  const stateOf = async (i: Instance, id: string): Promise<string | undefined> => (await i.engine.agentStatus(id))?.state;
  const verbs = (i: Instance, q: string): string[] => i.events.filter((e) => e.queue === q).map((e) => e.event);

  it('a caller joins, the agent is called with the caller id and the offer timeout, answers and is bridged', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q1', { offerTimeoutSec: 7, exitKeys: { '0': { type: 'hangup' } } });
      await agent(i.engine, '2001', {}, { q1: [1, 1] });
      await i.engine.setAgentState('2001', 'available');
      const before = sw.originates.length;
      const call = sw.caller(i.port, 'q1');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(call.uuid)));
      const originate = sw.originates.slice(before).find((o) => o.includes(`freecti_acd_caller=${call.uuid}`));
      assert.ok(originate !== undefined);
      const offer = i.offers.find((o) => o.callUuid === call.uuid);
      assert.ok(offer !== undefined);
      const leg = agentLegUuid(offer.offerId);
      assert.match(originate, new RegExp(`^\\{origination_uuid=${leg},origination_caller_id_number=1000,`));
      assert.match(originate, /,originate_timeout=7,/);
      assert.match(originate, /\}user\/2001 &park\(\)$/);
      assert.deepEqual(sw.bridges.at(-1), `${call.uuid} ${leg}`);
      assert.deepEqual(call.executed.slice(0, 2).map((e) => `${e.app} ${e.arg}`), ['answer ', 'playback local_stream://moh']);
      assert.equal(await stateOf(i, '2001'), 'in-call');
      assert.equal(call.hangupCause, undefined, 'the caller talks to the agent');
      // A digit during the call is for the agent, even one that is an exit key while waiting.
      sw.dtmf(call.uuid, '0');
      await new Promise((resolve) => setTimeout(resolve, ORPHAN_DIGIT_GRACE_MS + 300));
      assert.equal(await stateOf(i, '2001'), 'in-call');
      assert.equal(call.hangupCause, undefined);
      // The agent hangs up: the call ends once, the caller (left by uuid_bridge in its dialplan) is hung up.
      sw.agentHangsUp(leg);
      await waitFor(async () => call.hangupCause !== undefined && (await stateOf(i, '2001')) === 'available');
      assert.deepEqual(verbs(i, 'q1'), ['ENTERQUEUE', 'OFFER', 'CONNECT', 'COMPLETEAGENT']);
      assert.deepEqual(await i.engine.callers('q1'), []);
    } finally {
      await i.stop();
    }
  });

  it('a bridged call whose hangup events were lost is settled by the reaper: agent freed, the instance forgets the legs', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'qlost');
      await agent(i.engine, '2081', {}, { qlost: [1, 1] });
      await i.engine.setAgentState('2081', 'available');
      const call = sw.caller(i.port, 'qlost');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(call.uuid)));
      await waitFor(async () => (await stateOf(i, '2081')) === 'in-call');
      const offer = i.offers.find((o) => o.callUuid === call.uuid);
      assert.ok(offer !== undefined);
      assert.equal(i.calls.legs.active, 1);
      // Both channels end while the node's events are lost (a dropped ESL connection): no CHANNEL_HANGUP_COMPLETE.
      const bridgedBy = Date.now();
      sw.fake.removeChannel(agentLegUuid(offer.offerId));
      sw.fake.removeChannel(call.uuid);
      await waitFor(() => Date.now() > bridgedBy + 1);
      await i.calls.reaper.sweep();
      assert.equal(await stateOf(i, '2081'), 'available');
      assert.equal(i.calls.legs.active, 0, 'the bridged leg is not kept for ever');
      assert.deepEqual(verbs(i, 'qlost'), ['ENTERQUEUE', 'OFFER', 'CONNECT', 'COMPLETECALLER']);
    } finally {
      await i.stop();
    }
  });

  it('a uuid_bridge whose reply is lost (the node connection drops) keeps the call: the agent is not freed while it talks', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'qdrop');
      await agent(i.engine, '2082', {}, { qdrop: [1, 1] });
      await i.engine.setAgentState('2082', 'available');
      // FreeSWITCH bridges the two, then the inbound connection drops before the reply is read.
      sw.onBridged = () => {
        sw.onBridged = undefined;
        sw.fake.dropConnections();
      };
      const call = sw.caller(i.port, 'qdrop');
      await waitFor(() => i.calls.legs.counts.bridged === 1);
      const offer = i.offers.find((o) => o.callUuid === call.uuid);
      assert.ok(offer !== undefined);
      assert.equal(await stateOf(i, '2082'), 'in-call', 'the agent talks to the caller: not offered another call');
      assert.deepEqual(verbs(i, 'qdrop'), ['ENTERQUEUE', 'OFFER', 'CONNECT']);
      await waitFor(() => i.pool.nodes[0]!.status.state === 'ready');
      // The agent hangs up: the call ends once (by its event, or by the reaper's listing).
      sw.agentHangsUp(agentLegUuid(offer.offerId));
      await waitFor(() => !sw.fake.channels.has(agentLegUuid(offer.offerId)));
      await i.calls.reaper.sweep();
      await waitFor(async () => (await stateOf(i, '2082')) === 'available');
      await i.calls.legs.idle();
      assert.deepEqual(verbs(i, 'qdrop'), ['ENTERQUEUE', 'OFFER', 'CONNECT', 'COMPLETEAGENT']);
      assert.equal(i.calls.legs.active, 0);
    } finally {
      sw.onBridged = undefined;
      await i.stop();
    }
  });

  it('hold music that ends by itself (a missing file) is replaced by the default music: the caller never waits in silence', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'qmoh', { moh: 'missing-moh.wav' });
      await agent(i.engine, '2083', {}, { qmoh: [1, 1] });
      await i.engine.setAgentState('2083', 'on-break', 'x');
      const call = sw.caller(i.port, 'qmoh');
      await waitFor(() => call.executed.some((e) => e.app === 'playback' && e.arg === 'local_stream://moh'));
      assert.deepEqual(call.executed.filter((e) => e.app === 'playback').map((e) => e.arg), ['missing-moh.wav', 'local_stream://moh']);
      assert.equal(await i.engine.position(call.uuid), 1, 'still waiting in its place');
      // An agent still gets the caller: the uuid_bridge cuts the default music like any.
      await i.engine.setAgentState('2083', 'available');
      await waitFor(async () => (await stateOf(i, '2083')) === 'in-call');
      await waitFor(() => i.calls.legs.counts.bridged >= 1);
      assert.equal(call.executed.filter((e) => e.app === 'playback').length, 2, 'no music started over the bridged call');
      await sw.callerHangsUp(call.uuid);
      await waitFor(async () => (await stateOf(i, '2083')) === 'available');
    } finally {
      await i.stop();
    }
  });

  it('no answer and a reject go to the next agent by strategy, each with its delay', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q2', { strategy: 'top-down', offerTimeoutSec: 5 });
      await agent(i.engine, '2101', { noAnswerDelaySec: 60 }, { q2: [1, 1] });
      await agent(i.engine, '2102', { rejectDelaySec: 60 }, { q2: [1, 2] });
      await agent(i.engine, '2103', {}, { q2: [1, 3] });
      for (const id of ['2101', '2102', '2103']) await i.engine.setAgentState(id, 'available');
      sw.script('2101', { kind: 'fail', cause: 'NO_ANSWER' });
      sw.script('2102', { kind: 'fail', cause: 'CALL_REJECTED' });
      const before = sw.originates.length;
      const call = sw.caller(i.port, 'q2');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(call.uuid)));
      const dialled = sw.originates.slice(before).map((o) => /user\/(\d+)/.exec(o)?.[1]);
      assert.deepEqual(dialled, ['2101', '2102', '2103']);
      assert.equal(await stateOf(i, '2103'), 'in-call');
      const noAnswer = await i.engine.agentStatus('2101');
      assert.equal(noAnswer?.noAnswers, 1);
      const rejected = await i.engine.agentStatus('2102');
      for (const status of [noAnswer, rejected]) {
        assert.equal(status?.state, 'available');
        assert.ok((status?.readyAt ?? 0) > Date.now() + 30_000, `the delay keeps ${status?.id} from the next offer`);
      }
      assert.deepEqual(verbs(i, 'q2').filter((v) => v !== 'AGENTSTATE'), ['ENTERQUEUE', 'OFFER', 'RINGNOANSWER', 'OFFER', 'RINGNOANSWER', 'OFFER', 'CONNECT']);
      await call.hangup();
      await waitFor(async () => (await stateOf(i, '2103')) === 'available');
    } finally {
      await i.stop();
    }
  });

  it('a caller who hangs up while the agent rings: the agent leg is killed at once, the agent is free', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q3', { offerTimeoutSec: 30 });
      await agent(i.engine, '2201', {}, { q3: [1, 1] });
      await i.engine.setAgentState('2201', 'available');
      sw.script('2201', { kind: 'ring' });
      const call = sw.caller(i.port, 'q3');
      await waitFor(() => i.offers.some((o) => o.callUuid === call.uuid) && sw.legs.has(agentLegUuid(i.offers.find((o) => o.callUuid === call.uuid)!.offerId)));
      const leg = agentLegUuid(i.offers.find((o) => o.callUuid === call.uuid)!.offerId);
      assert.equal(await stateOf(i, '2201'), 'reserved');
      await call.hangup();
      await waitFor(() => sw.kills.includes(leg));
      await waitFor(async () => (await stateOf(i, '2201')) === 'available');
      assert.equal(sw.legs.get(leg)?.state, 'gone');
      assert.deepEqual(await i.engine.callers('q3'), []);
      assert.ok(verbs(i, 'q3').includes('ABANDON'));
      assert.ok(!sw.bridges.some((b) => b.startsWith(call.uuid)), 'never bridged');
    } finally {
      await i.stop();
    }
  });

  it('exit keys: a key transfers the caller to a number, another plays a prompt and hangs up', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q4', {
        exitKeys: { '0': { type: 'number', number: '5000', context: 'default' }, '9': { type: 'hangup', prompt: 'tone_stream://%(100,0,440)' } },
      });
      const first = sw.caller(i.port, 'q4');
      const second = sw.caller(i.port, 'q4');
      await waitFor(() => sw.nowPlaying(first.uuid) === 'playback local_stream://moh' && sw.nowPlaying(second.uuid) === 'playback local_stream://moh');
      sw.dtmf(first.uuid, '5'); // not an exit key: nothing happens
      sw.dtmf(first.uuid, '0');
      await waitFor(() => first.executed.some((e) => e.app === 'transfer'));
      assert.deepEqual(first.executed.at(-1), { app: 'transfer', arg: '5000 XML default', eventUuid: first.executed.at(-1)!.eventUuid });
      assert.ok(sw.breaks.includes(`${first.uuid} all`), 'the hold music is broken first');
      sw.dtmf(second.uuid, '9');
      await waitFor(() => second.hangupCause !== undefined);
      assert.deepEqual(second.executed.slice(-1).map((e) => `${e.app} ${e.arg}`), ['playback tone_stream://%(100,0,440)']);
      assert.deepEqual(second.hangups, ['NORMAL_CLEARING']);
      await waitFor(async () => (await i.engine.callers('q4')).length === 0);
      assert.equal(verbs(i, 'q4').filter((v) => v === 'EXITWITHKEY').length, 2);
      await first.hangup();
    } finally {
      await i.stop();
    }
  });

  it('max wait: the engine sends the caller to the exit queue, where an agent answers', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q5', { maxWaitSec: 1, exit: { type: 'queue', queue: 'q5-overflow' } });
      await queue(i.engine, 'q5-overflow', {});
      await agent(i.engine, '2401', {}, { 'q5-overflow': [1, 1] });
      await i.engine.setAgentState('2401', 'available');
      const call = sw.caller(i.port, 'q5');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(call.uuid)), 15_000);
      assert.ok(verbs(i, 'q5').includes('EXITWITHTIMEOUT'));
      assert.deepEqual(verbs(i, 'q5-overflow').slice(0, 3), ['ENTERQUEUE', 'OFFER', 'CONNECT']);
      await call.hangup();
      await waitFor(async () => (await stateOf(i, '2401')) === 'available');
    } finally {
      await i.stop();
    }
  });

  it('ring-all: both agents ring, the first to answer is bridged, the other leg is killed at once', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q7', { strategy: 'ring-all', offerTimeoutSec: 20 });
      await agent(i.engine, '2501', {}, { q7: [1, 1] });
      await agent(i.engine, '2502', {}, { q7: [1, 2] });
      await i.engine.setAgentState('2501', 'available');
      await i.engine.setAgentState('2502', 'available');
      sw.script('2501', { kind: 'answer', afterMs: 50 });
      sw.script('2502', { kind: 'ring' });
      const call = sw.caller(i.port, 'q7');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(call.uuid)));
      const offers = i.offers.filter((o) => o.callUuid === call.uuid);
      assert.deepEqual(offers.map((o) => o.agent).sort(), ['2501', '2502']);
      const ringing = agentLegUuid(offers.find((o) => o.agent === '2502')!.offerId);
      await waitFor(() => sw.kills.includes(ringing));
      assert.equal(sw.bridges.at(-1), `${call.uuid} ${agentLegUuid(offers.find((o) => o.agent === '2501')!.offerId)}`);
      await waitFor(async () => (await stateOf(i, '2502')) === 'available');
      assert.equal(await stateOf(i, '2501'), 'in-call');
      await call.hangup();
      await waitFor(async () => (await stateOf(i, '2501')) === 'available');
    } finally {
      await i.stop();
    }
  });

  it('an agent reached through a line group: the line is picked by the resolver, its slot held for the call and released after', async () => {
    const prefix = uniquePrefix('acdlg');
    const resolver = new LinegroupResolver({ redis: fx.redis, keys: new Keys(prefix), logger: silent });
    const i = await startInstance(sw, fx.redis, prefix, { resolver });
    try {
      await resolver.store.put('carriers', { lines: [{ id: 'l1', gateway: 'carrier1', maxConcurrent: 1 }] });
      await queue(i.engine, 'q10', {});
      await agent(i.engine, 'remote-1', { contact: { type: 'linegroup', group: 'carriers', number: '5551234' } }, { q10: [1, 1] });
      await i.engine.setAgentState('remote-1', 'available');
      const call = sw.caller(i.port, 'q10');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(call.uuid)));
      const originate = sw.originates.find((o) => o.includes(`freecti_acd_caller=${call.uuid}`)) ?? '';
      assert.match(originate, /sofia\/gateway\/carrier1\/5551234 &park\(\)$/);
      assert.equal(resolver.heldCount, 1, 'the line slot is held while the call lasts');
      await call.hangup();
      await waitFor(async () => resolver.heldCount === 0 && (await stateOf(i, 'remote-1')) === 'available');
    } finally {
      await i.stop();
    }
  });

  it('recording: the queue path template is filled in and uuid_record starts on the caller once bridged', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q8', { recordTemplate: '$${recordings_dir}/acd/{queue}/{date}/{uuid}-{agent}.wav' });
      await agent(i.engine, '2601', {}, { q8: [1, 1] });
      await i.engine.setAgentState('2601', 'available');
      const call = sw.caller(i.port, 'q8');
      const record = await sw.fake.waitForCommand((c) => c.line.startsWith(`api uuid_record ${call.uuid} start `), 10_000);
      assert.match(record.line, new RegExp(`^api uuid_record ${call.uuid} start \\$\\$\\{recordings_dir\\}/acd/q8/\\d{4}-\\d{2}-\\d{2}/${call.uuid}-2601\\.wav$`));
      await call.hangup();
      await waitFor(async () => (await stateOf(i, '2601')) === 'available');
    } finally {
      await i.stop();
    }
  });

  it('an unknown queue or a bad priority: no entry, freecti sends resume and lets go so the dialplan goes on', async () => {
    const i = await rig();
    try {
      const unknown = sw.caller(i.port, 'no-such-queue');
      const bad = sw.caller(i.port, 'q1', { freecti_queue_priority: 'high' });
      for (const call of [unknown, bad]) {
        await call.closed;
        assert.ok(call.commands.some((c) => c.line === 'resume'), 'resume before the socket closes');
        assert.equal(call.hangupCause, undefined, 'freecti does not hang the caller up');
        assert.ok(!call.executed.some((e) => e.app === 'playback'), 'no hold music started');
      }
      assert.ok(!unknown.executed.some((e) => e.app === 'answer'), 'an unknown queue is refused before the answer');
      assert.deepEqual(await i.engine.callers('no-such-queue'), []);
      await unknown.hangup();
      await bad.hangup();
    } finally {
      await i.stop();
    }
  });

  it('an exit to a queue whose music the policy refuses: the caller goes back to the dialplan, not to silence', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q11', { exitKeys: { '1': { type: 'queue', queue: 'q11-bad' } } });
      await queue(i.engine, 'q11-bad', { moh: 'http://203.0.113.9/moh.mp3' });
      const call = sw.caller(i.port, 'q11');
      await waitFor(() => sw.nowPlaying(call.uuid) === 'playback local_stream://moh');
      sw.dtmf(call.uuid, '1');
      await call.closed;
      assert.ok(call.commands.some((c) => c.line === 'resume'));
      assert.equal(call.hangupCause, undefined);
      assert.deepEqual(await i.engine.callers('q11'), []);
      assert.deepEqual(await i.engine.callers('q11-bad'), [], 'never queued where it would hear nothing');
      await call.hangup();
    } finally {
      await i.stop();
    }
  });

  it('a caller who hangs up while its enqueue is in flight leaves no entry behind', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q12', {});
      const enqueue = i.engine.enqueue.bind(i.engine);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      i.engine.enqueue = async (request) => {
        await gate;
        return enqueue(request);
      };
      const call = sw.caller(i.port, 'q12');
      await waitFor(() => call.executed.some((e) => e.app === 'answer'));
      await call.hangup();
      release();
      await waitFor(() => verbs(i, 'q12').includes('ABANDON'));
      assert.deepEqual(await i.engine.callers('q12'), []);
      assert.deepEqual(verbs(i, 'q12'), ['ENTERQUEUE', 'ABANDON']);
    } finally {
      await i.stop();
    }
  });

  it('periodic announcement: every periodicSec the music is broken for the queue prompt, then starts again', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q9', { announcements: { periodic: 'ivr/ivr-please_hold.wav', periodicSec: 5 } });
      const call = sw.caller(i.port, 'q9');
      await waitFor(() => call.executed.filter((e) => e.app === 'playback').length >= 3, 15_000);
      assert.deepEqual(call.executed.slice(1, 4).map((e) => `${e.app} ${e.arg}`), ['playback local_stream://moh', 'playback ivr/ivr-please_hold.wav', 'playback local_stream://moh']);
      await call.hangup();
      await waitFor(async () => (await i.engine.callers('q9')).length === 0);
    } finally {
      await i.stop();
    }
  });

  it('a periodic prompt the policy refuses is never played and the hold music is not stopped for it (no silence)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const i = await startInstance(sw, fx.redis, uniquePrefix('acdcalls'), { logger });
    try {
      await queue(i.engine, 'q9x', { announcements: { periodic: 'http://denied.example/hold.wav', periodicSec: 5 } });
      const call = sw.caller(i.port, 'q9x');
      await waitFor(() => lines.some((l) => l.includes('announcement failed')), 15_000);
      assert.equal(sw.breaks.includes(`${call.uuid} all`), false, 'the music was not broken for a prompt that cannot play');
      assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['answer ', 'playback local_stream://moh']);
      assert.equal(await i.engine.position(call.uuid), 1);
      await call.hangup();
      await waitFor(async () => (await i.engine.callers('q9x')).length === 0);
    } finally {
      await i.stop();
    }
  });

  it('announcements: the music is broken for the position and the estimated wait, then starts again', async () => {
    const i = await rig();
    try {
      await queue(i.engine, 'q6', { announcements: { positionSec: 1, estimatedWait: true } });
      const call = sw.caller(i.port, 'q6');
      await waitFor(() => call.executed.filter((e) => e.app === 'playback').length >= 2, 15_000);
      const apps = call.executed.map((e) => `${e.app} ${e.arg}`);
      const firstSay = apps.indexOf('say en number pronounced 1');
      assert.ok(firstSay > 0, apps.join(' | '));
      assert.match(apps[firstSay + 1] ?? '', /^say en time_measurement pronounced \d+$/);
      assert.equal(apps[firstSay + 2], 'playback local_stream://moh');
      assert.ok(sw.breaks.includes(`${call.uuid} all`));
      await call.hangup();
      await waitFor(async () => (await i.engine.callers('q6')).length === 0);
    } finally {
      await i.stop();
    }
  });
});
