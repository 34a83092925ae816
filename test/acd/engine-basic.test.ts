import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, callUuid, harness, queue } from './helpers.js';

describe('ACD engine: a caller meets an agent', () => {
  const fx = useRedis();

  it('offers a waiting caller to the agent who becomes available, connects, wraps up', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await h.engine.start();
    await queue(h.engine, 'sales', { strategy: 'longest-idle-agent' });
    await agent(h.engine, '1001', { wrapUpSec: 10 }, { sales: [1, 1] });
    const uuid = callUuid();
    const r = await h.engine.enqueue({ queue: 'sales', callUuid: uuid, node: 'fs1', callerIdNumber: '5551', callerIdName: 'Ann' });
    assert.equal(r.status, 'queued');
    assert.equal(h.offers.length, 0, 'the agent is logged out');
    await h.engine.setAgentState('1001', 'available');
    assert.equal(h.offers.length, 1);
    const offer = h.offers[0]!;
    assert.equal(offer.callUuid, uuid);
    assert.equal(offer.agent, '1001');
    assert.deepEqual(offer.contact, { type: 'extension', extension: '1001' });
    assert.equal((await h.engine.agentStatus('1001'))?.state, 'reserved');
    const stale = await h.engine.offerAnswered(offer.offerId, offer.fencingToken + 1, 'leg-1', 'fs1');
    assert.equal(stale.ok, false, 'a wrong fencing token is refused');
    const ok = await h.engine.offerAnswered(offer.offerId, offer.fencingToken, 'leg-1', 'fs1');
    assert.equal(ok.ok, true);
    assert.equal((await h.engine.agentStatus('1001'))?.state, 'in-call');
    h.clock.advance(30_000);
    assert.equal(await h.engine.callEnded('leg-1', 'agent'), true);
    const st = await h.engine.agentStatus('1001');
    assert.equal(st?.state, 'wrap-up');
    assert.equal(st?.calls, 1);
    assert.equal(st?.talkMs, 30_000);
    h.clock.advance(10_000);
    await h.engine.tick();
    assert.equal((await h.engine.agentStatus('1001'))?.state, 'available');
    assert.deepEqual(
      h.events.filter((e) => e.queue === 'sales').map((e) => e.event),
      ['ENTERQUEUE', 'OFFER', 'CONNECT', 'COMPLETEAGENT'],
    );
    await h.engine.close();
  });
});
