/**
 * Queue limits and exits (max length, max wait, max wait with no agent, exit keys,
 * abandon-resume) and the agent state machine (no-answer count → break, reject/busy
 * delays, pending break during a call, wrap-up), with the queue log they write.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallerExit } from '../../src/acd/types.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, callUuid, harness, queue } from './helpers.js';

describe('ACD exits', () => {
  const fx = useRedis();

  it('max length: the caller over it is refused with the queue exit', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { maxLength: 1, exit: { type: 'queue', queue: 'overflow' } });
    await agent(h.engine, 'a', {}, { q: [1, 1] });
    await h.engine.setAgentState('a', 'on-break', 'meeting');
    assert.equal((await h.engine.enqueue({ queue: 'q', callUuid: callUuid(), node: 'fs1', callerIdNumber: '1', callerIdName: '' })).status, 'queued');
    const r = await h.engine.enqueue({ queue: 'q', callUuid: callUuid(), node: 'fs1', callerIdNumber: '2', callerIdName: '' });
    assert.deepEqual(r, { status: 'exit', reason: 'full', exit: { type: 'queue', queue: 'overflow' } });
    assert.ok(h.events.some((e) => e.event === 'FULL'));
  });

  it('unknown queue: a clear error', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await assert.rejects(h.engine.enqueue({ queue: 'nope', callUuid: callUuid(), node: 'fs1', callerIdNumber: '', callerIdName: '' }), { code: 'FREECTI_ERR_ACD_QUEUE_NOT_FOUND' });
  });

  it('max wait: the timer takes the caller out (offer cancelled) and hands the exit to the call half', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    const exits: CallerExit[] = [];
    const cancels: string[] = [];
    h.engine.onExit((x) => exits.push(x));
    h.engine.onCancel((c) => cancels.push(c.reason));
    await h.engine.start();
    await queue(h.engine, 'q', { maxWaitSec: 60, offerTimeoutSec: 120, exit: { type: 'number', number: '2000' } });
    await agent(h.engine, 'a', {}, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    const uuid = callUuid();
    await h.engine.enqueue({ queue: 'q', callUuid: uuid, node: 'fs1', callerIdNumber: '1', callerIdName: '' });
    assert.equal(h.offers.length, 1);
    assert.ok(h.clock.armed.includes(h.clock.now() + 60_000), 'the engine armed its timer for the max wait');
    h.clock.advance(59_999);
    await h.engine.tick();
    assert.equal(exits.length, 0);
    h.clock.advance(1);
    await h.engine.tick();
    assert.deepEqual(exits, [{ entryId: exits[0]!.entryId, queue: 'q', callUuid: uuid, node: 'fs1', reason: 'timeout', exit: { type: 'number', number: '2000' } }]);
    assert.deepEqual(cancels, ['caller-left']);
    assert.equal((await h.engine.agentStatus('a'))?.state, 'available');
    const ev = h.events.find((e) => e.event === 'EXITWITHTIMEOUT');
    assert.equal(ev?.data.waittime, '60');
    await h.engine.close();
  });

  it('max wait with no agent: 0 refuses at once (join-empty), N takes the caller out after N s without agents', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    const exits: CallerExit[] = [];
    h.engine.onExit((x) => exits.push(x));
    await queue(h.engine, 'now', { maxWaitNoAgentSec: 0 });
    await queue(h.engine, 'later', { maxWaitNoAgentSec: 10 });
    await agent(h.engine, 'a', {}, { later: [1, 1] });
    const r = await h.engine.enqueue({ queue: 'now', callUuid: callUuid(), node: 'fs1', callerIdNumber: '', callerIdName: '' });
    assert.equal(r.status === 'exit' && r.reason, 'empty');
    const stays = callUuid();
    await h.engine.enqueue({ queue: 'later', callUuid: stays, node: 'fs1', callerIdNumber: '', callerIdName: '' });
    h.clock.advance(5_000);
    await h.engine.setAgentState('a', 'on-break', 'coffee');
    h.clock.advance(5_000);
    await h.engine.tick();
    assert.equal(exits.length, 0, 'an agent on break is logged in');
    await h.engine.setAgentState('a', 'logged-out');
    h.clock.advance(9_000);
    await h.engine.tick();
    assert.equal(exits.length, 0, 'the clock restarts when the last agent logs out');
    h.clock.advance(1_000);
    await h.engine.tick();
    assert.equal(exits.length, 1);
    assert.equal(exits[0]!.reason, 'empty');
    assert.equal(exits[0]!.callUuid, stays);
  });

  it('exit key: callerLeft returns the exit of that digit and logs EXITWITHKEY', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { exitKeys: { '1': { type: 'group', group: 'voicemail' } } });
    const uuid = callUuid();
    await h.engine.enqueue({ queue: 'q', callUuid: uuid, node: 'fs1', callerIdNumber: '', callerIdName: '' });
    const r = await h.engine.callerLeft(uuid, 'exit-key', '1');
    assert.deepEqual(r, { found: true, cancelled: [], exit: { type: 'group', group: 'voicemail' } });
    assert.equal(h.events.at(-1)!.event, 'EXITWITHKEY');
    assert.equal(h.events.at(-1)!.data.key, '1');
    assert.equal((await h.engine.callerLeft(uuid, 'abandon')).found, false, 'gone already');
  });

  it('abandon-resume: a caller who calls back within the window keeps the place', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { abandonResumeSec: 30 });
    const enq = (uuid: string, cid: string) => h.engine.enqueue({ queue: 'q', callUuid: uuid, node: 'fs1', callerIdNumber: cid, callerIdName: '' });
    const first = callUuid();
    await enq(first, '555');
    h.clock.advance(1_000);
    const other = callUuid();
    await enq(other, '777');
    h.clock.advance(1_000);
    await h.engine.callerLeft(first, 'abandon');
    assert.equal(await h.engine.position(other), 1);
    h.clock.advance(20_000);
    const again = callUuid();
    const r = await enq(again, '555');
    assert.equal(r.status === 'queued' && r.resumed, true);
    assert.equal(await h.engine.position(again), 1, 'ahead of the caller who came after it');
    await h.engine.callerLeft(again, 'abandon');
    h.clock.advance(31_000);
    const late = callUuid();
    const r2 = await enq(late, '555');
    assert.equal(r2.status === 'queued' && r2.resumed, false);
    assert.equal(await h.engine.position(late), 2);
  });
});

describe('ACD agent states', () => {
  const fx = useRedis();

  it('no-answers in a row put the agent on break (reason no-answer); the caller goes to the next agent', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { strategy: 'top-down' });
    await agent(h.engine, 'a', { maxNoAnswer: 2 }, { q: [1, 1] });
    await agent(h.engine, 'b', {}, { q: [1, 2] });
    await h.engine.setAgentState('a', 'available');
    const uuid = callUuid();
    await h.engine.enqueue({ queue: 'q', callUuid: uuid, node: 'fs1', callerIdNumber: '', callerIdName: '' });
    let o = h.offers.at(-1)!;
    assert.equal(o.agent, 'a');
    assert.equal(await h.engine.offerFailed(o.offerId, o.fencingToken, 'no-answer'), true);
    o = h.offers.at(-1)!;
    assert.equal(o.agent, 'a', 'offered again (no delay configured)');
    assert.equal(await h.engine.offerFailed(o.offerId, o.fencingToken, 'no-answer'), true);
    assert.equal(await h.engine.offerFailed(o.offerId, o.fencingToken, 'no-answer'), false, 'the same offer cannot fail twice');
    const st = await h.engine.agentStatus('a');
    assert.equal(st?.state, 'on-break');
    assert.equal(st?.reason, 'no-answer');
    assert.equal(await h.engine.position(uuid), 1);
    await h.engine.setAgentState('b', 'available');
    assert.equal(h.offers.at(-1)!.agent, 'b');
    assert.equal(h.events.filter((e) => e.event === 'RINGNOANSWER').length, 2);
  });

  it('an offer whose lease runs out times out by itself (cancel sent) and counts as a no-answer', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    const cancels: string[] = [];
    h.engine.onCancel((c) => cancels.push(`${c.offerId}:${c.reason}`));
    await queue(h.engine, 'q', { offerTimeoutSec: 20 });
    await agent(h.engine, 'a', { noAnswerDelaySec: 30 }, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: callUuid(), node: 'fs1', callerIdNumber: '', callerIdName: '' });
    const o = h.offers[0]!;
    assert.equal(o.expiresAt, h.clock.now() + 25_000, 'ring timeout + 5 s grace');
    h.clock.advance(25_000);
    await h.engine.tick();
    assert.deepEqual(cancels, [`${o.offerId}:timeout`]);
    const st = await h.engine.agentStatus('a');
    assert.equal(st?.state, 'available');
    assert.equal(st?.noAnswers, 1);
    assert.equal(st?.readyAt, h.clock.now() + 30_000);
    assert.equal((await h.engine.offerAnswered(o.offerId, o.fencingToken, 'late', 'fs1')).ok, false, 'a late answer is fenced off');
    h.clock.advance(30_000);
    await h.engine.tick();
    assert.equal(h.offers.length, 2, 'offered again after the no-answer delay');
  });

  it('reject and busy delays keep the agent from the next offer for that long', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q');
    await agent(h.engine, 'a', { rejectDelaySec: 10, busyDelaySec: 40 }, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: callUuid(), node: 'fs1', callerIdNumber: '', callerIdName: '' });
    await h.engine.offerFailed(h.offers[0]!.offerId, h.offers[0]!.fencingToken, 'reject');
    h.clock.advance(9_999);
    await h.engine.tick();
    assert.equal(h.offers.length, 1);
    h.clock.advance(1);
    await h.engine.tick();
    assert.equal(h.offers.length, 2);
    await h.engine.offerFailed(h.offers[1]!.offerId, h.offers[1]!.fencingToken, 'busy');
    h.clock.advance(39_999);
    await h.engine.tick();
    assert.equal(h.offers.length, 2);
    h.clock.advance(1);
    await h.engine.tick();
    assert.equal(h.offers.length, 3);
    assert.equal((await h.engine.agentStatus('a'))?.noAnswers, 0, 'rejects and busy are not no-answers');
  });

  it('an offer failed with error keeps the agent out for 5 s: no tight re-offer loop of one agent and one caller', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q');
    await agent(h.engine, 'a', { noAnswerDelaySec: 0 }, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: callUuid(), node: 'fs1', callerIdNumber: '', callerIdName: '' });
    assert.equal(await h.engine.offerFailed(h.offers[0]!.offerId, h.offers[0]!.fencingToken, 'error'), true);
    assert.equal(h.offers.length, 1, 'not offered again in the same instant');
    const st = await h.engine.agentStatus('a');
    assert.deepEqual([st?.state, st?.readyAt, st?.noAnswers], ['available', h.clock.now() + 5_000, 0]);
    h.clock.advance(4_999);
    await h.engine.tick();
    assert.equal(h.offers.length, 1);
    h.clock.advance(1);
    await h.engine.tick();
    assert.equal(h.offers.length, 2, 'offered again once the error delay is over');
  });

  it('a logout asked while the offer rang wins over the no-answer break of maxNoAnswer', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q');
    await agent(h.engine, 'a', { maxNoAnswer: 1 }, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: callUuid(), node: 'fs1', callerIdNumber: '', callerIdName: '' });
    assert.equal((await h.engine.setAgentState('a', 'logged-out')).state, 'reserved');
    await h.engine.offerFailed(h.offers[0]!.offerId, h.offers[0]!.fencingToken, 'no-answer');
    const st = await h.engine.agentStatus('a');
    assert.deepEqual([st?.state, st?.reason], ['logged-out', null]);
  });

  it('a break asked during a call applies when the call ends; available ends a wrap-up early', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q');
    await agent(h.engine, 'a', { wrapUpSec: 60 }, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: 'c1', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    await h.engine.offerAnswered(h.offers[0]!.offerId, h.offers[0]!.fencingToken, 'leg1', 'fs2');
    const during = await h.engine.setAgentState('a', 'on-break', 'lunch');
    assert.equal(during.state, 'in-call');
    assert.equal(await h.engine.callEnded('c1', 'caller'), true);
    assert.equal((await h.engine.agentStatus('a'))?.state, 'wrap-up');
    h.clock.advance(60_000);
    await h.engine.tick();
    const st = await h.engine.agentStatus('a');
    assert.deepEqual([st?.state, st?.reason], ['on-break', 'lunch']);
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: 'c2', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    await h.engine.offerAnswered(h.offers[1]!.offerId, h.offers[1]!.fencingToken, 'leg2', 'fs2');
    await h.engine.callEnded('leg2', 'agent');
    assert.equal((await h.engine.setAgentState('a', 'available')).state, 'available');
    const states = h.events.filter((e) => e.event === 'AGENTSTATE').map((e) => `${e.data.from}>${e.data.to}`);
    assert.deepEqual(states, [
      'logged-out>available', 'available>reserved', 'reserved>in-call', 'in-call>wrap-up', 'wrap-up>on-break',
      'on-break>available', 'available>reserved', 'reserved>in-call', 'in-call>wrap-up', 'wrap-up>available',
    ]);
  });

  it('the caller hanging up during an offer cancels it at once and frees the agent without penalty', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { shortAbandonSec: 5 });
    await agent(h.engine, 'a', {}, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: 'c1', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    h.clock.advance(3_000);
    const r = await h.engine.callerLeft('c1', 'abandon');
    assert.deepEqual(r.cancelled.map((c) => [c.agent, c.reason]), [['a', 'caller-left']]);
    const st = await h.engine.agentStatus('a');
    assert.deepEqual([st?.state, st?.noAnswers, st?.readyAt], ['available', 0, h.clock.now()]);
    const ab = h.events.find((e) => e.event === 'ABANDON');
    assert.deepEqual([ab?.data.position, ab?.data.origposition, ab?.data.waittime], ['0', '1', '3']);
  });

  it('agents and queues in use cannot be deleted; unknown agents are a clear error', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q');
    await agent(h.engine, 'a', {}, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    await assert.rejects(h.engine.deleteAgent('a'), { code: 'FREECTI_ERR_ACD_IN_USE' });
    await assert.rejects(h.engine.setAgentState('zz', 'available'), { code: 'FREECTI_ERR_ACD_AGENT_NOT_FOUND' });
    await h.engine.enqueue({ queue: 'q', callUuid: 'x1', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    await h.engine.setAgentState('a', 'logged-out');
    assert.equal((await h.engine.agentStatus('a'))?.state, 'reserved', 'logout is pending while the offer rings');
    await h.engine.offerFailed(h.offers[0]!.offerId, h.offers[0]!.fencingToken, 'reject');
    assert.equal((await h.engine.agentStatus('a'))?.state, 'logged-out');
    await assert.rejects(h.engine.deleteQueue('q'), { code: 'FREECTI_ERR_ACD_IN_USE' });
    await h.engine.deleteAgent('a');
    assert.deepEqual(await h.engine.tiers('q'), []);
  });
});
