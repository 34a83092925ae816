/**
 * Who gets the caller: every strategy, tiers with levels and "higher levels after a wait",
 * skills with levels, caller priority, unregistered agents (real Redis, manual clock).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, callUuid, harness, queue, type Harness } from './helpers.js';

async function caller(h: Harness, q: string, extra: { priority?: number; skills?: Record<string, number> } = {}): Promise<string> {
  const uuid = callUuid();
  const r = await h.engine.enqueue({ queue: q, callUuid: uuid, node: 'fs1', callerIdNumber: uuid, callerIdName: '', ...extra });
  assert.equal(r.status, 'queued');
  return uuid;
}

/** Answers the last offer and ends the call at once (wrap-up 0): the agent is free again. */
async function serveLast(h: Harness): Promise<string> {
  const o = h.offers.at(-1)!;
  assert.equal((await h.engine.offerAnswered(o.offerId, o.fencingToken, `leg-${o.offerId}`, 'fs1')).ok, true);
  h.clock.advance(1_000);
  assert.equal(await h.engine.callEnded(`leg-${o.offerId}`, 'agent'), true);
  return o.agent;
}

async function threeAgents(h: Harness, q: string, settings: Record<string, unknown> = {}): Promise<void> {
  await queue(h.engine, q, settings);
  await agent(h.engine, 'a', {}, { [q]: [1, 3] });
  await agent(h.engine, 'b', {}, { [q]: [1, 1] });
  await agent(h.engine, 'c', {}, { [q]: [1, 2] });
}

describe('ACD strategies', () => {
  const fx = useRedis();

  it('top-down: always the first agent by tier position', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await threeAgents(h, 'q', { strategy: 'top-down' });
    for (const id of ['a', 'c', 'b']) await h.engine.setAgentState(id, 'available');
    const picked: string[] = [];
    for (let i = 0; i < 3; i++) {
      await caller(h, 'q');
      picked.push(await serveLast(h));
    }
    assert.deepEqual(picked, ['b', 'b', 'b']);
  });

  it('longest-idle-agent: the agent idle longest, then the next', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await threeAgents(h, 'q', { strategy: 'longest-idle-agent' });
    for (const id of ['c', 'a', 'b']) {
      await h.engine.setAgentState(id, 'available');
      h.clock.advance(1_000);
    }
    const picked: string[] = [];
    for (let i = 0; i < 4; i++) {
      await caller(h, 'q');
      picked.push(await serveLast(h));
    }
    assert.deepEqual(picked, ['c', 'a', 'b', 'c']);
  });

  it('round-robin: in tier order, starting after the last one offered', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await threeAgents(h, 'q', { strategy: 'round-robin' });
    for (const id of ['a', 'b', 'c']) await h.engine.setAgentState(id, 'available');
    const picked: string[] = [];
    for (let i = 0; i < 5; i++) {
      await caller(h, 'q');
      picked.push(await serveLast(h));
    }
    assert.deepEqual(picked, ['b', 'c', 'a', 'b', 'c']);
  });

  it('agent-with-fewest-calls and agent-with-least-talk-time', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await threeAgents(h, 'q', { strategy: 'agent-with-fewest-calls' });
    await threeAgents(h, 't', { strategy: 'agent-with-least-talk-time' });
    for (const id of ['a', 'b', 'c']) await h.engine.setAgentState(id, 'available');
    await fx.redis.hset(h.keys.acdAgent('a'), 'calls', 5, 'talk', 10);
    await fx.redis.hset(h.keys.acdAgent('b'), 'calls', 2, 'talk', 900);
    await fx.redis.hset(h.keys.acdAgent('c'), 'calls', 9, 'talk', 500);
    await caller(h, 'q');
    assert.equal(h.offers.at(-1)!.agent, 'b');
    await caller(h, 't');
    assert.equal(h.offers.at(-1)!.agent, 'a');
  });

  it('random: every agent is picked, the same seed picks the same agents', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const h = harness(fx.redis, uniquePrefix('acd'), { seed });
      await threeAgents(h, 'q', { strategy: 'random' });
      for (const id of ['a', 'b', 'c']) await h.engine.setAgentState(id, 'available');
      const picked: string[] = [];
      for (let i = 0; i < 30; i++) {
        await caller(h, 'q');
        picked.push(await serveLast(h));
      }
      return picked;
    };
    const first = await run(7);
    assert.deepEqual(new Set(first), new Set(['a', 'b', 'c']));
    assert.deepEqual(await run(7), first);
    assert.notDeepEqual(await run(8), first);
  });

  it('ring-all: every free agent rings; the first to answer wins, the others are cancelled', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    const cancels: string[] = [];
    h.engine.onCancel((c) => cancels.push(`${c.agent}:${c.reason}`));
    await threeAgents(h, 'q', { strategy: 'ring-all' });
    for (const id of ['a', 'b', 'c']) await h.engine.setAgentState(id, 'available');
    const uuid = await caller(h, 'q');
    assert.deepEqual(h.offers.map((o) => o.agent).sort(), ['a', 'b', 'c']);
    assert.ok(h.offers.every((o) => o.callUuid === uuid));
    const c = h.offers.find((o) => o.agent === 'c')!;
    const r = await h.engine.offerAnswered(c.offerId, c.fencingToken, 'leg-c', 'fs1');
    assert.equal(r.ok, true);
    assert.deepEqual(r.cancelled.map((x) => x.agent).sort(), ['a', 'b']);
    assert.deepEqual(cancels.sort(), ['a:answered-elsewhere', 'b:answered-elsewhere']);
    assert.equal((await h.engine.agentStatus('a'))?.state, 'available');
    const a = h.offers.find((o) => o.agent === 'a')!;
    assert.equal((await h.engine.offerAnswered(a.offerId, a.fencingToken, 'leg-a', 'fs1')).ok, false, 'a late answer is refused');
    // One failure of a ring-all offer while others still ring leaves the caller offered.
    const uuid2 = await caller(h, 'q');
    const ring2 = h.offers.filter((o) => o.callUuid === uuid2);
    assert.deepEqual(ring2.map((o) => o.agent).sort(), ['a', 'b']);
    assert.equal(await h.engine.offerFailed(ring2[0]!.offerId, ring2[0]!.fencingToken, 'reject'), true);
    assert.equal(await h.engine.position(uuid2), null, 'still offered to the other agent');
    assert.equal(await h.engine.offerFailed(ring2[1]!.offerId, ring2[1]!.fencingToken, 'reject'), true);
    assert.equal(await h.engine.position(uuid2), 1, 'back in the queue once every offer failed');
  });

  it('ring-progressively: one more agent rings every delay, earlier ones keep ringing', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await threeAgents(h, 'q', { strategy: 'ring-progressively', ringProgressivelyDelaySec: 5, offerTimeoutSec: 60 });
    for (const id of ['a', 'b', 'c']) await h.engine.setAgentState(id, 'available');
    await caller(h, 'q');
    assert.deepEqual(h.offers.map((o) => o.agent), ['b']);
    h.clock.advance(5_000);
    await h.engine.tick();
    assert.deepEqual(h.offers.map((o) => o.agent), ['b', 'c']);
    h.clock.advance(5_000);
    await h.engine.tick();
    assert.deepEqual(h.offers.map((o) => o.agent), ['b', 'c', 'a']);
    assert.equal((await h.engine.agentStatus('b'))?.state, 'reserved');
    const a = h.offers[2]!;
    const r = await h.engine.offerAnswered(a.offerId, a.fencingToken, 'leg-a', 'fs1');
    assert.deepEqual(r.cancelled.map((x) => x.agent).sort(), ['b', 'c']);
    h.clock.advance(5_000);
    await h.engine.tick();
    assert.equal(h.offers.length, 3, 'no more agents once answered');
  });

  it('skills: best match (sum of levels) among agents that meet every minimum, then longest idle', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { strategy: 'skills' });
    await agent(h.engine, 'fr2', { skills: { fr: 2 } }, { q: [1, 1] });
    await agent(h.engine, 'fr5', { skills: { fr: 5 } }, { q: [1, 2] });
    await agent(h.engine, 'fr4en', { skills: { fr: 4, en: 9 } }, { q: [1, 3] });
    await agent(h.engine, 'fr5b', { skills: { fr: 5 } }, { q: [1, 4] });
    for (const id of ['fr5b', 'fr2', 'fr5', 'fr4en']) {
      await h.engine.setAgentState(id, 'available');
      h.clock.advance(1_000);
    }
    await caller(h, 'q', { skills: { fr: 3 } });
    assert.equal(h.offers.at(-1)!.agent, 'fr5b', 'fr5 and fr5b tie on level; fr5b is idle longer');
    await caller(h, 'q', { skills: { fr: 3, en: 1 } });
    assert.equal(h.offers.at(-1)!.agent, 'fr4en');
    const nobody = await caller(h, 'q', { skills: { de: 1 } });
    assert.equal(h.offers.length, 2, 'nobody speaks de');
    assert.equal(await h.engine.position(nobody), 1);
    await caller(h, 'q', { skills: { fr: 1 } });
    assert.equal(h.offers.at(-1)!.agent, 'fr5', 'the de caller does not block the queue');
  });

  it('skills filter every strategy: a caller needing a skill only goes to agents that have it', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { strategy: 'top-down' });
    await agent(h.engine, 'x', {}, { q: [1, 1] });
    await agent(h.engine, 'y', { skills: { vip: 1 } }, { q: [1, 2] });
    for (const id of ['x', 'y']) await h.engine.setAgentState(id, 'available');
    await caller(h, 'q', { skills: { vip: 1 } });
    assert.equal(h.offers.at(-1)!.agent, 'y');
  });

  it('tiers: a higher level is tried only after the wait (× level difference when multiplied)', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { strategy: 'top-down', tierWaitSec: 30, tierWaitMultiplyLevel: true });
    await agent(h.engine, 'l1', {}, { q: [1, 1] });
    await agent(h.engine, 'l2', {}, { q: [2, 1] });
    await agent(h.engine, 'l3', {}, { q: [3, 1] });
    await h.engine.setAgentState('l3', 'available');
    await h.engine.setAgentState('l2', 'available');
    await caller(h, 'q');
    assert.equal(h.offers.length, 0, 'the level-1 agent is logged out; level 2 waits 30 s');
    h.clock.advance(29_000);
    await h.engine.tick();
    assert.equal(h.offers.length, 0);
    h.clock.advance(1_000);
    await h.engine.tick();
    assert.equal(h.offers.at(-1)!.agent, 'l2', 'unlocked by the timer at 30 s');
    await serveLast(h);
    await h.engine.setAgentState('l2', 'on-break', 'lunch');
    await caller(h, 'q');
    h.clock.advance(30_000);
    await h.engine.tick();
    assert.equal(h.offers.length, 1, 'level 3 needs 60 s (multiplied)');
    h.clock.advance(30_000);
    await h.engine.tick();
    assert.equal(h.offers.at(-1)!.agent, 'l3');
    await h.engine.setAgentState('l1', 'available');
    await caller(h, 'q');
    assert.equal(h.offers.at(-1)!.agent, 'l1', 'level 1 at once');
  });

  it('caller priority: a higher priority is served first, equal priorities in arrival order', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q', { strategy: 'top-down' });
    await agent(h.engine, 'a', {}, { q: [1, 1] });
    const first = await caller(h, 'q');
    h.clock.advance(1_000);
    const second = await caller(h, 'q');
    h.clock.advance(1_000);
    const vip = await caller(h, 'q', { priority: 10 });
    assert.equal(await h.engine.position(vip), 1);
    assert.equal(await h.engine.position(first), 2);
    assert.equal(await h.engine.position(second), 3);
    await h.engine.setAgentState('a', 'available');
    assert.equal(h.offers.at(-1)!.callUuid, vip);
    await serveLast(h);
    assert.equal(h.offers.at(-1)!.callUuid, first);
    await serveLast(h);
    assert.equal(h.offers.at(-1)!.callUuid, second);
  });

  it('an agent in several queues takes the caller who waited longest across them', async () => {
    const h = harness(fx.redis, uniquePrefix('acd'));
    await queue(h.engine, 'q1');
    await queue(h.engine, 'q2');
    await agent(h.engine, 'a', {}, { q1: [1, 1], q2: [1, 1] });
    await caller(h, 'q2');
    h.clock.advance(1_000);
    const later = await caller(h, 'q1');
    await h.engine.setAgentState('a', 'available');
    assert.equal(h.offers.at(-1)!.queue, 'q2');
    await serveLast(h);
    assert.equal(h.offers.at(-1)!.callUuid, later);
  });

  it('an agent whose extension is not registered is not offered; once registered it is, within the recheck', async () => {
    const prefix = uniquePrefix('acd');
    const reg = `${prefix}registrations`;
    const h = harness(fx.redis, prefix, { registrationsHash: reg });
    await queue(h.engine, 'q', { strategy: 'top-down' });
    await agent(h.engine, '1001', {}, { q: [1, 1] });
    await agent(h.engine, '1002', {}, { q: [1, 2] });
    await agent(h.engine, 'mobile', { contact: { type: 'dial', dialString: 'sofia/gateway/gw/5550100' } }, { q: [1, 3] });
    await fx.redis.hset(reg, '1002', '{}');
    for (const id of ['1001', '1002', 'mobile']) await h.engine.setAgentState(id, 'available');
    await caller(h, 'q');
    assert.equal(h.offers.at(-1)!.agent, '1002', '1001 is skipped');
    await caller(h, 'q');
    assert.equal(h.offers.at(-1)!.agent, 'mobile', 'a dial-string contact needs no registration');
    await caller(h, 'q');
    assert.equal(h.offers.length, 2);
    await fx.redis.hset(reg, '1001', '{}');
    h.clock.advance(5_000);
    await h.engine.tick();
    assert.equal(h.offers.at(-1)!.agent, '1001');
  });
});
