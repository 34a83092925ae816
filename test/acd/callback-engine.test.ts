/**
 * The callback option in the engine (docs/acd.md "Callback"), on a real Redis with a manual
 * clock: the entry keeps its place without a channel, survives the hangup of the channel and
 * the reaper, is offered in order, retries an unanswered customer after the delay and then
 * leaves, and leaves at its max age.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, harness, queue, type Harness } from './helpers.js';

describe('ACD engine: callback', () => {
  const fx = useRedis();
  const join = (h: Harness, uuid: string, number: string, priority = 0) =>
    h.engine.enqueue({ queue: 'cb', callUuid: uuid, node: 'fs1', callerIdNumber: number, callerIdName: '', priority });
  const verbs = (h: Harness): string[] => h.events.filter((e) => e.queue === 'cb').map((e) => e.event);
  const terminal = new Set(['ABANDON', 'EXITWITHTIMEOUT', 'EXITEMPTY', 'EXITWITHKEY', 'EXITTRANSFER', 'EXITCALLBACK', 'COMPLETECALLER', 'COMPLETEAGENT']);

  it('keeps the place: the channel hangs up, the reaper runs, and the callback is still offered before a later caller', async () => {
    const h = harness(fx.redis, uniquePrefix('cbk'));
    await queue(h.engine, 'cb', { callback: { enabled: true, key: '*' }, maxWaitSec: 600 });
    await agent(h.engine, 'a1', {}, { cb: [1, 1] });
    await join(h, 'first', '5550001');
    h.clock.advance(1_000);
    await join(h, 'second', '5550002');
    h.clock.advance(1_000);
    const taken = await h.engine.requestCallback('first', '5550001');
    assert.deepEqual([taken.ok, taken.position], [true, 1]);
    assert.equal((await h.engine.requestCallback('first', '5550001')).ok, false, 'the channel is no longer the entry');
    assert.equal((await h.engine.requestCallback('nobody', '1')).ok, false);
    // The channel hangs up and the reaper lists the node without it: the entry stays.
    const left = await h.engine.callerLeft('first', 'abandon');
    assert.equal(left.found, false);
    h.clock.advance(1_000);
    const reaped = await h.engine.reconcileNode('fs1', new Set(['second']), h.clock.now());
    assert.deepEqual([reaped.callers, reaped.agents], [0, 0]);
    const callers = await h.engine.callers('cb');
    assert.deepEqual(callers.map((c) => [c.position, c.callerIdNumber, c.callbackNumber ?? null]), [
      [1, '5550001', '5550001'],
      [2, '5550002', null],
    ]);
    // maxWaitSec does not apply to a callback entry (its own max age does).
    h.clock.advance(600_000);
    await h.engine.tick();
    assert.deepEqual((await h.engine.callers('cb')).map((c) => c.callerIdNumber), ['5550001']);
    assert.ok(verbs(h).includes('EXITWITHTIMEOUT'), 'the later caller timed out');
    await h.engine.setAgentState('a1', 'available');
    const offer = h.offers.at(-1)!;
    assert.equal(offer.callerIdNumber, '5550001');
    assert.deepEqual(offer.callback, { number: '5550001', attempt: 1, via: { type: 'user' }, ringSec: 30 });
    assert.equal(offer.callUuid, callers[0]!.callUuid, 'the offer names the customer leg uuid');
    assert.notEqual(offer.callUuid, 'first');
    assert.equal((await h.engine.offerAnswered(offer.offerId, offer.fencingToken, 'leg-1', 'fs1')).ok, true);
    h.clock.advance(60_000);
    assert.equal(await h.engine.callEnded(offer.callUuid, 'caller'), true);
    assert.equal((await h.engine.agentStatus('a1'))?.state, 'available');
    const cbEvent = h.events.find((e) => e.event === 'CALLBACK');
    assert.deepEqual(cbEvent?.data, { position: '1', number: '5550001', waittime: '2', callbackuuid: offer.callUuid });
    assert.equal(cbEvent?.callUuid, 'first');
    assert.deepEqual(verbs(h), ['ENTERQUEUE', 'ENTERQUEUE', 'CALLBACK', 'EXITWITHTIMEOUT', 'OFFER', 'CONNECT', 'COMPLETECALLER']);
  });

  it('a waiting caller ahead by priority is served first; the callback keeps its priority', async () => {
    const h = harness(fx.redis, uniquePrefix('cbp'));
    await queue(h.engine, 'cb', { callback: { enabled: true, key: '9' } });
    await agent(h.engine, 'a1', {}, { cb: [1, 1] });
    await join(h, 'low', '1001', 0);
    h.clock.advance(1_000);
    await join(h, 'high', '1002', 50);
    h.clock.advance(1_000);
    await join(h, 'high-later', '1003', 50);
    assert.equal((await h.engine.requestCallback('high', '1002')).position, 1);
    await h.engine.setAgentState('a1', 'available');
    assert.equal(h.offers.at(-1)!.callback?.number, '1002');
  });

  it('an unanswered customer: the agent is freed without penalty, the entry waits out the retry delay in its place, then leaves after the retries', async () => {
    const h = harness(fx.redis, uniquePrefix('cbr'));
    await queue(h.engine, 'cb', { callback: { enabled: true, key: '*', retries: 1, retryDelaySec: 120 } });
    await agent(h.engine, 'a1', {}, { cb: [1, 1] });
    await join(h, 'first', '5550001');
    await h.engine.requestCallback('first', '5550001');
    h.clock.advance(1_000);
    await join(h, 'second', '5550002');
    await h.engine.setAgentState('a1', 'available');
    let offer = h.offers.at(-1)!;
    assert.equal(offer.callback?.attempt, 1);
    await h.engine.offerAnswered(offer.offerId, offer.fencingToken, 'leg-1', 'fs1');
    const failed = await h.engine.callbackFailed(offer.callUuid, 'NO_ANSWER');
    assert.deepEqual(failed, { found: true, dropped: false });
    const status = await h.engine.agentStatus('a1');
    assert.deepEqual([status?.state, status?.noAnswers], ['reserved', 0]);
    assert.equal(h.offers.at(-1)!.callUuid, 'second', 'during the retry delay the caller behind is served');
    const second = h.offers.at(-1)!;
    await h.engine.offerAnswered(second.offerId, second.fencingToken, 'leg-2', 'fs1');
    await h.engine.callEnded('second', 'caller');
    const before = h.offers.length;
    assert.equal(before, 2, 'not offered again before the delay');
    assert.deepEqual((await h.engine.callers('cb')).map((c) => [c.position, c.callbackNumber]), [[1, '5550001']]);
    h.clock.advance(120_000);
    await h.engine.tick();
    offer = h.offers.at(-1)!;
    assert.equal(h.offers.length, 3);
    assert.deepEqual([offer.callback?.number, offer.callback?.attempt], ['5550001', 2]);
    assert.equal((await h.engine.callbackFailed('leg-1', 'NO_ANSWER')).found, false, 'an agent leg is not a callback');
    await h.engine.offerAnswered(offer.offerId, offer.fencingToken, 'leg-3', 'fs1');
    assert.deepEqual(await h.engine.callbackFailed(offer.callUuid, 'NO_ANSWER'), { found: true, dropped: true });
    assert.deepEqual(await h.engine.callers('cb'), []);
    assert.equal((await h.engine.agentStatus('a1'))?.state, 'available');
    const exit = h.events.find((e) => e.event === 'EXITCALLBACK');
    assert.deepEqual([exit?.data.reason, exit?.data.attempts, exit?.data.number], ['no-answer', '2', '5550001']);
    assert.equal(h.events.filter((e) => e.event === 'CALLBACKNOANSWER').length, 2);
    // Every caller who entered left the log exactly once.
    const ends = h.events.filter((e) => e.queue === 'cb' && terminal.has(e.event));
    assert.equal(ends.length, 2);
  });

  it('max age: a callback not connected in time leaves (EXITCALLBACK max-age), ringing agents withdrawn', async () => {
    const h = harness(fx.redis, uniquePrefix('cba'));
    const cancels: string[] = [];
    h.engine.onCancel((c) => cancels.push(`${c.agent}:${c.reason}`));
    await queue(h.engine, 'cb', { callback: { enabled: true, key: '*', maxAgeSec: 300 } });
    await agent(h.engine, 'a1', {}, { cb: [1, 1] });
    await join(h, 'first', '5550001');
    await h.engine.requestCallback('first', '5550001');
    h.clock.advance(299_000);
    await h.engine.tick();
    assert.equal((await h.engine.callers('cb')).length, 1);
    await h.engine.setAgentState('a1', 'available');
    assert.equal((await h.engine.agentStatus('a1'))?.state, 'reserved', 'the agent rings for the callback');
    h.clock.advance(1_000);
    await h.engine.tick();
    assert.deepEqual(await h.engine.callers('cb'), []);
    assert.deepEqual(cancels, ['a1:caller-left']);
    assert.equal((await h.engine.agentStatus('a1'))?.state, 'available');
    const exit = h.events.find((e) => e.event === 'EXITCALLBACK');
    assert.deepEqual([exit?.data.reason, exit?.data.waittime], ['max-age', '300']);
  });

  it('refused: a queue without the callback option, a number that cannot be dialled, a connected caller', async () => {
    const h = harness(fx.redis, uniquePrefix('cbn'));
    await queue(h.engine, 'cb', {});
    await join(h, 'first', '5550001');
    assert.equal((await h.engine.requestCallback('first', '5550001')).ok, false);
    await queue(h.engine, 'cb', { callback: { enabled: true, key: '*' } });
    assert.equal((await h.engine.requestCallback('first', '555-0001')).ok, false);
    await agent(h.engine, 'a1', {}, { cb: [1, 1] });
    await h.engine.setAgentState('a1', 'available');
    const offer = h.offers.at(-1)!;
    await h.engine.offerAnswered(offer.offerId, offer.fencingToken, 'leg-1', 'fs1');
    assert.equal((await h.engine.requestCallback('first', '5550001')).ok, false);
    assert.equal((await h.engine.agentStatus('a1'))?.state, 'in-call');
    assert.deepEqual(h.events.filter((e) => e.event === 'CALLBACK'), []);
  });
});
