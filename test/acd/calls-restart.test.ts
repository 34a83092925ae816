/**
 * What keeps the ACD honest when events are lost or an instance goes away: the reaper
 * (show channels → engine.reconcileNode) on demand and after an ESL reconnect, and a
 * freecti instance stopping while a caller waits: the caller stays in FreeSWITCH with its
 * music (esl-acd observation 6), its entry stays in Redis, and another instance bridges it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { agentLegUuid } from '../../src/acd/calls/index.js';
import { AcdSwitch } from './acd-switch.js';
import { startInstance, type Instance } from './calls-rig.js';
import { agent, queue } from './helpers.js';

describe('ACD calls: reaper and restart', () => {
  const fx = useRedis();
  let sw: AcdSwitch;
  before(async () => {
    sw = await AcdSwitch.start();
  });
  after(async () => {
    await sw.close();
  });

  const stateOf = async (i: Instance, id: string): Promise<string | undefined> => (await i.engine.agentStatus(id))?.state;

  it('the reaper frees an agent whose bridged call vanished without events, and drops a caller whose channel is gone', async () => {
    const i = await startInstance(sw, fx.redis, uniquePrefix('acdreap'));
    try {
      await queue(i.engine, 'r1', {});
      await agent(i.engine, '3001', {}, { r1: [1, 1] });
      await i.engine.setAgentState('3001', 'available');
      const talking = sw.caller(i.port, 'r1');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(talking.uuid)));
      const leg = agentLegUuid(i.offers.find((o) => o.callUuid === talking.uuid)!.offerId);
      const waiting = sw.caller(i.port, 'r1');
      await waitFor(async () => (await i.engine.callers('r1')).some((c) => c.callUuid === waiting.uuid && c.state === 'waiting'));
      assert.equal(await stateOf(i, '3001'), 'in-call');
      // FreeSWITCH loses all three channels and no event reaches freecti.
      for (const uuid of [talking.uuid, leg, waiting.uuid]) sw.fake.removeChannel(uuid);
      const [result] = await i.calls.reaper.sweep();
      assert.equal(result?.node, 'fs1');
      assert.ok((result?.agents ?? 0) >= 1, JSON.stringify(result));
      assert.ok((result?.callers ?? 0) >= 1, JSON.stringify(result));
      assert.notEqual(await stateOf(i, '3001'), 'in-call');
      assert.deepEqual(await i.engine.callers('r1'), []);
    } finally {
      await i.stop();
    }
  });

  it('after an ESL reconnect the reaper runs by itself', async () => {
    const i = await startInstance(sw, fx.redis, uniquePrefix('acdreap'));
    try {
      await queue(i.engine, 'r2', {});
      const call = sw.caller(i.port, 'r2');
      await waitFor(async () => (await i.engine.callers('r2')).length === 1);
      sw.fake.removeChannel(call.uuid);
      sw.fake.dropConnections();
      await waitFor(async () => (await i.engine.callers('r2')).length === 0);
    } finally {
      await i.stop();
    }
  });

  it('max wait of a caller whose socket is gone: the engine of another instance exits it over the inbound connection', async () => {
    const prefix = uniquePrefix('acdremote');
    const a = await startInstance(sw, fx.redis, prefix);
    let b: Instance | undefined;
    try {
      await queue(a.engine, 'r4', { maxWaitSec: 2, exit: { type: 'number', number: '5100', context: 'default' } });
      await queue(a.engine, 'r5', { maxWaitSec: 2, exit: { type: 'hangup', prompt: 'ivr/closed.wav' } });
      const first = sw.caller(a.port, 'r4');
      const second = sw.caller(a.port, 'r5');
      await waitFor(() => sw.nowPlaying(first.uuid) !== undefined && sw.nowPlaying(second.uuid) !== undefined);
      await a.stop();
      b = await startInstance(sw, fx.redis, prefix, { outbound: false });
      const transfer = await sw.fake.waitForCommand((c) => c.line === `api uuid_transfer ${first.uuid} 5100 XML default`, 10_000);
      assert.ok(transfer !== undefined);
      await sw.fake.waitForCommand((c) => c.line === `api uuid_transfer ${second.uuid} playback:ivr/closed.wav,hangup:NORMAL_CLEARING inline`, 10_000);
      await waitFor(async () => (await b!.engine.callers('r4')).length === 0 && (await b!.engine.callers('r5')).length === 0);
      await first.hangup();
      await second.hangup();
    } finally {
      await b?.stop();
    }
  });

  it('two instances on the same queues: every caller bridged once, no agent ever rings twice at once', async () => {
    const prefix = uniquePrefix('acdtwo');
    const a = await startInstance(sw, fx.redis, prefix);
    const b = await startInstance(sw, fx.redis, prefix);
    try {
      await queue(a.engine, 'r6', { strategy: 'ring-all', offerTimeoutSec: 10 });
      const agents = ['3301', '3302', '3303', '3304'];
      for (const [n, id] of agents.entries()) await agent(a.engine, id, {}, { r6: [1, n + 1] });
      for (const id of agents) await (agents.indexOf(id) % 2 === 0 ? a : b).engine.setAgentState(id, 'available');
      const calls = Array.from({ length: 24 }, (_, n) => sw.caller((n % 2 === 0 ? a : b).port, 'r6'));
      const bridgesOf = (uuid: string): number => sw.bridges.filter((x) => x.startsWith(`${uuid} `)).length;
      // Each bridged call is short: the agent hangs up, the next caller gets the agent.
      const ended = new Set<string>();
      await waitFor(() => {
        for (const call of calls) {
          if (ended.has(call.uuid) || bridgesOf(call.uuid) === 0) continue;
          ended.add(call.uuid);
          const leg = sw.bridges.find((x) => x.startsWith(`${call.uuid} `))?.split(' ')[1];
          if (leg !== undefined) setTimeout(() => sw.agentHangsUp(leg), 10);
        }
        return ended.size === calls.length;
      }, 30_000);
      await waitFor(async () => {
        const states = await Promise.all(agents.map((id) => stateOf(a, id)));
        return states.every((s) => s === 'available') && calls.every((c) => c.hangupCause !== undefined);
      }).catch(async (error: unknown) => {
        const states = await Promise.all(agents.map(async (id) => `${id}=${(await a.engine.agentStatus(id))?.state ?? '?'}`));
        throw new Error(`not settled: agents ${states.join(' ')}, calls up ${calls.filter((c) => c.hangupCause === undefined).length}`, { cause: error });
      });
      for (const call of calls) assert.equal(bridgesOf(call.uuid), 1, `caller ${call.uuid} bridged once`);
      for (const id of agents) assert.equal(sw.maxLegsPerExt.get(id), 1, `agent ${id} never had two legs at once`);
      assert.deepEqual(await a.engine.callers('r6'), []);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('an exit key of a caller whose socket is gone: another instance reads it on the inbound connection and runs the exit', async () => {
    const prefix = uniquePrefix('acdorphan');
    const a = await startInstance(sw, fx.redis, prefix);
    let b: Instance | undefined;
    try {
      await queue(a.engine, 'r7', { exitKeys: { '0': { type: 'number', number: '5200', context: 'default' } } });
      const call = sw.caller(a.port, 'r7');
      await waitFor(() => sw.nowPlaying(call.uuid) !== undefined);
      await a.stop();
      b = await startInstance(sw, fx.redis, prefix, { outbound: false });
      await b.pool.nodes[0]!.subscribe(['DTMF']);
      sw.dtmf(call.uuid, '7'); // not an exit key
      sw.dtmf(call.uuid, '0');
      await sw.fake.waitForCommand((c) => c.line === `api uuid_transfer ${call.uuid} 5200 XML default`, 10_000);
      assert.deepEqual(await b.engine.callers('r7'), []);
      assert.ok(b.events.some((e) => e.event === 'EXITWITHKEY' && e.callUuid === call.uuid));
      await call.hangup();
    } finally {
      await b?.stop();
    }
  });

  it('the callback key of a caller whose socket is gone: another instance takes the callback, plays the prompt and hangs up over the inbound connection', async () => {
    const prefix = uniquePrefix('acdorphancb');
    const a = await startInstance(sw, fx.redis, prefix);
    let b: Instance | undefined;
    try {
      await queue(a.engine, 'r8', { callback: { enabled: true, key: '#', prompt: 'ivr/call-you-back.wav' } });
      const call = sw.caller(a.port, 'r8');
      await waitFor(() => sw.nowPlaying(call.uuid) !== undefined);
      await a.stop();
      b = await startInstance(sw, fx.redis, prefix, { outbound: false });
      await b.pool.nodes[0]!.subscribe(['DTMF']);
      sw.dtmf(call.uuid, '#');
      await sw.fake.waitForCommand((c) => c.line === `api uuid_transfer ${call.uuid} playback:ivr/call-you-back.wav,hangup:NORMAL_CLEARING inline`, 10_000);
      const waiting = await b.engine.callers('r8');
      assert.deepEqual(waiting.map((c) => [c.position, c.callbackNumber]), [[1, '1000']]);
      assert.ok(b.events.some((e) => e.event === 'CALLBACK' && e.callUuid === call.uuid));
      await call.hangup();
    } finally {
      await b?.stop();
    }
  });

  it('an instance stops while a caller waits: the caller keeps its music and entry, another instance bridges it', async () => {
    const prefix = uniquePrefix('acdrestart');
    const a = await startInstance(sw, fx.redis, prefix);
    let b: Instance | undefined;
    try {
      await queue(a.engine, 'r3', {});
      await agent(a.engine, '3201', {}, { r3: [1, 1] });
      const call = sw.caller(a.port, 'r3');
      await waitFor(() => sw.nowPlaying(call.uuid) === 'playback local_stream://moh');
      await a.stop();
      await call.closed;
      assert.equal(call.hangupCause, undefined, 'freecti going away does not hang the caller up');
      assert.equal(sw.nowPlaying(call.uuid), 'playback local_stream://moh', 'the caller still hears music');
      assert.ok(!call.commands.some((c) => c.line === 'resume'), 'no resume: the channel stays in the socket app');
      b = await startInstance(sw, fx.redis, prefix, { outbound: false });
      assert.deepEqual((await b.engine.callers('r3')).map((c) => c.callUuid), [call.uuid]);
      await b.engine.setAgentState('3201', 'available');
      await waitFor(() => sw.bridges.some((x) => x.startsWith(call.uuid)));
      assert.equal(await stateOf(b, '3201'), 'in-call');
      assert.equal(sw.nowPlaying(call.uuid), undefined, 'uuid_bridge cut the music');
      // The caller hangs up: the instance that bridged it sees it on its inbound connection.
      await call.hangup();
      await waitFor(async () => (await stateOf(b!, '3201')) === 'available');
      assert.deepEqual(b.events.filter((e) => e.queue === 'r3').map((e) => e.event), ['OFFER', 'CONNECT', 'COMPLETECALLER']);
    } finally {
      await b?.stop();
    }
  });
});
