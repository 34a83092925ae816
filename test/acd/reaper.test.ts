/**
 * The reaper primitive and the estimate: given a node's live channels, callers and agents
 * whose call is gone are released (and only those recorded before the listing); the
 * estimated wait follows the recent handle time and the agents serving the queue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OfferCancel } from '../../src/acd/types.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, harness, queue } from './helpers.js';

describe('ACD reaper and estimated wait', () => {
  const fx = useRedis();

  it('reconcileNode releases what is gone on that node only, and nothing recorded after the listing', async () => {
    const h = harness(fx.redis, uniquePrefix('reap'));
    const cancels: OfferCancel[] = [];
    h.engine.onCancel((c) => cancels.push(c));
    await queue(h.engine, 'q', { strategy: 'top-down' });
    for (const id of ['a', 'b', 'c']) await agent(h.engine, id, { wrapUpSec: 30 }, { q: [1, id.charCodeAt(0)] });
    const join = (uuid: string, node: string) => h.engine.enqueue({ queue: 'q', callUuid: uuid, node, callerIdNumber: '', callerIdName: '' });
    await h.engine.setAgentState('a', 'available');
    await h.engine.setAgentState('b', 'available');
    await join('talking', 'fs1'); // → a, answered below
    await join('ringing', 'fs1'); // → b, offered
    await join('waiting', 'fs1');
    await join('other-node', 'fs2');
    await h.engine.offerAnswered(h.offers[0]!.offerId, h.offers[0]!.fencingToken, 'leg-a', 'fs1');
    h.clock.advance(1_000);
    const listedAt = h.clock.now(); // strictly after what was recorded: a channel of the same ms may be missing from a listing
    h.clock.advance(1_000);
    await join('after-listing', 'fs1');
    // fs1 lists nothing of ours: every channel of fs1 recorded before the listing is gone.
    const r = await h.engine.reconcileNode('fs1', new Set(['unrelated']), listedAt);
    assert.deepEqual([r.callers, r.agents], [3, 1]);
    assert.deepEqual(cancels.map((c) => [c.agent, c.callUuid, c.reason]), [['b', 'ringing', 'reaped']]);
    assert.equal((await h.engine.agentStatus('a'))?.state, 'wrap-up', 'the call of a ended');
    assert.equal((await h.engine.agentStatus('b'))?.state, 'reserved', 'b freed, then offered the next caller');
    assert.equal(h.offers.at(-1)!.callUuid, 'other-node');
    assert.deepEqual((await h.engine.callers('q')).map((c) => c.callUuid), ['after-listing']);
    const log = h.events.filter((e) => e.queue === 'q').map((e) => `${e.event}:${e.callUuid}`);
    assert.ok(log.includes('ABANDON:ringing') && log.includes('ABANDON:waiting') && log.includes('COMPLETECALLER:talking'), log.join(' '));
    // Nothing left to reap: a second pass is a no-op.
    assert.deepEqual(await h.engine.reconcileNode('fs1', new Set(['after-listing']), h.clock.now()), { callers: 0, agents: 0, cancelled: [] });
  });

  it('an agent leg that vanished ends the call (the agent is not left in-call)', async () => {
    const h = harness(fx.redis, uniquePrefix('reap'));
    await queue(h.engine, 'q');
    await agent(h.engine, 'a', {}, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: 'caller', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    await h.engine.offerAnswered(h.offers[0]!.offerId, h.offers[0]!.fencingToken, 'agent-leg', 'fs2');
    h.clock.advance(5_000);
    const r = await h.engine.reconcileNode('fs2', new Set(), h.clock.now());
    assert.deepEqual([r.callers, r.agents], [0, 1]);
    assert.equal((await h.engine.agentStatus('a'))?.state, 'available');
    assert.equal(h.events.at(-1)?.event === 'AGENTSTATE' && h.events.some((e) => e.event === 'COMPLETEAGENT'), true);
    assert.equal(await h.engine.position('caller'), null);
  });

  it('estimateWait = position × AHT (60 min) ÷ agents serving; the offer timeout without history', async () => {
    const h = harness(fx.redis, uniquePrefix('ewt'));
    await queue(h.engine, 'q', { offerTimeoutSec: 20 });
    await agent(h.engine, 'a', {}, { q: [1, 1] });
    await agent(h.engine, 'b', {}, { q: [1, 2] });
    await assert.rejects(h.engine.estimateWait('nope', 1), { code: 'FREECTI_ERR_ACD_QUEUE_NOT_FOUND' });
    assert.equal(await h.engine.estimateWait('q', 3), 60, 'nobody logged in counts as one agent; 3 × 20 s');
    await h.engine.setAgentState('a', 'available');
    await h.engine.enqueue({ queue: 'q', callUuid: 'c1', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    await h.engine.offerAnswered(h.offers[0]!.offerId, h.offers[0]!.fencingToken, 'l1', 'fs1');
    h.clock.advance(120_000);
    await h.engine.callEnded('l1', 'agent');
    await h.engine.setAgentState('b', 'available');
    assert.equal(await h.engine.estimateWait('q', 4), 240, '4 × 120 s ÷ 2 agents');
  });
});
