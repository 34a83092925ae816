/**
 * Two engine instances (two Redis connections, the same queues) driven concurrently over
 * many rounds of random arrivals, answers, failures, hang-ups, agent changes and timers:
 * never one agent two offers, never one caller two agents, nothing stuck at the end.
 * Then a restart while callers wait: a new engine object on a new connection loses none.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import type { AcdEngine } from '../../src/acd/engine.js';
import { STRATEGIES, type Offer } from '../../src/acd/types.js';
import { closeRedis } from '../../src/redis.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, harness, ManualClock, queue, seeded, type Harness } from './helpers.js';

/** A client closed when the test ends, passed or failed (else a failed test would hang on it). */
async function client(url: string, t: TestContext): Promise<Redis> {
  const r = new Redis(url);
  t.after(() => closeRedis(r));
  if (r.status !== 'ready') await once(r, 'ready');
  return r;
}

/** Invariants over the raw Redis state at a quiet moment. */
async function checkState(redis: Redis, h: Harness, agents: string[]): Promise<void> {
  const k = h.keys;
  const offerKeys = await redis.keys(`${k.acd('o')}:*`);
  const held = new Map<string, string>();
  for (const key of offerKeys) {
    const oid = key.slice(k.acd('o').length + 1);
    const a = await redis.hget(key, 'a');
    assert.ok(a !== null);
    assert.equal(held.has(a), false, `agent ${a} holds two offers`);
    held.set(a, oid);
  }
  const connectedBy = new Map<string, string>();
  for (const a of agents) {
    const s = await redis.hgetall(k.acdAgent(a));
    if (s.st === 'reserved') assert.equal(held.get(a), s.offer, `reserved agent ${a} holds offer ${s.offer}`);
    else assert.equal(held.has(a), false, `agent ${a} (${s.st}) has an offer`);
    for (const q of Object.keys(await redis.hgetall(k.acdAgentTiers(a)))) {
      assert.equal(await redis.sismember(k.acd('av', q), a), s.st === 'available' ? 1 : 0, `agent ${a} (${s.st}) in the available set of ${q}`);
    }
    if (s.st === 'in-call') {
      const e = await redis.hgetall(k.acdEntry(s.entry!));
      assert.equal(e.st, 'connected', `in-call agent ${a}: its caller is connected`);
      assert.equal(e.agent, a);
      assert.equal(connectedBy.has(s.entry!), false, 'one caller, two agents');
      connectedBy.set(s.entry!, a);
    }
  }
  for (const key of await redis.keys(`${k.acd('e')}:*`)) {
    const e = await redis.hgetall(key);
    const id = key.slice(k.acd('e').length + 1);
    if (e.st === 'connected') assert.equal(connectedBy.get(id), e.agent, `connected caller ${id} has its agent in call`);
    const rank = await redis.zrank(k.acdWaiting(e.q!), id);
    assert.equal(rank !== null, e.st === 'waiting', `entry ${id} (${e.st}) in the waiting set iff waiting`);
  }
}

describe('ACD races: two instances, one Redis', () => {
  const fx = useRedis();

  it('200 rounds of concurrent random operations on two instances keep every invariant', async (t) => {
    const prefix = uniquePrefix('race');
    const rand = seeded(20261203);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const clock = new ManualClock();
    const r1 = await client(fx.server.url, t);
    const r2 = await client(fx.server.url, t);
    const h1 = harness(r1, prefix, { clock, seed: 1 });
    const h2 = harness(r2, prefix, { clock, seed: 2 });
    const engines: AcdEngine[] = [h1.engine, h2.engine];
    const queues = ['q0', 'q1', 'q2'];
    const agents = Array.from({ length: 12 }, (_, i) => `ag${i}`);
    for (const [i, q] of queues.entries()) await queue(h1.engine, q, { strategy: STRATEGIES[(i * 3) % STRATEGIES.length], offerTimeoutSec: 15, maxWaitSec: 300 });
    await queue(h1.engine, 'q3', { strategy: 'ring-all', offerTimeoutSec: 15 });
    queues.push('q3');
    for (const a of agents) {
      const tiers: Record<string, [number, number]> = {};
      for (const q of queues) if (rand() < 0.5) tiers[q] = [1 + Math.floor(rand() * 2), Math.floor(rand() * 10)];
      await agent(h1.engine, a, { maxNoAnswer: 0, wrapUpSec: rand() < 0.5 ? 0 : 5, rejectDelaySec: 2 }, tiers);
    }
    const pending = new Map<string, Offer>();
    for (const h of [h1, h2]) h.engine.onOffer((o) => pending.set(o.offerId, o));
    const callers = new Set<string>();
    const connected = new Map<string, string>(); // caller uuid -> agent leg uuid
    let seq = 0;
    const eng = (): AcdEngine => pick(engines);

    const act = async (): Promise<void> => {
      const x = rand();
      if (x < 0.25) {
        const uuid = `c${++seq}`;
        callers.add(uuid);
        const r = await eng().enqueue({ queue: pick(queues), callUuid: uuid, node: pick(['fs1', 'fs2']), callerIdNumber: uuid, callerIdName: '', priority: rand() < 0.2 ? 5 : 0 });
        if (r.status === 'exit') callers.delete(uuid);
      } else if (x < 0.4) {
        await eng().setAgentState(pick(agents), pick(['available', 'available', 'available', 'on-break', 'logged-out'] as const), 'x');
      } else if (x < 0.65 && pending.size > 0) {
        const o = pick([...pending.values()]);
        if (rand() < 0.5) {
          const leg = `leg-${o.offerId}`;
          const r = await eng().offerAnswered(o.offerId, o.fencingToken, leg, 'fs1');
          if (r.ok) {
            assert.equal(connected.has(o.callUuid), false, `caller ${o.callUuid} answered twice`);
            connected.set(o.callUuid, leg);
          }
        } else {
          await eng().offerFailed(o.offerId, o.fencingToken, pick(['no-answer', 'reject', 'busy', 'error'] as const));
        }
        pending.delete(o.offerId);
      } else if (x < 0.75 && connected.size > 0) {
        const [caller, leg] = pick([...connected.entries()]);
        connected.delete(caller);
        callers.delete(caller);
        await eng().callEnded(rand() < 0.5 ? caller : leg, rand() < 0.5 ? 'caller' : 'agent');
      } else if (x < 0.85 && callers.size > 0) {
        const caller = pick([...callers]);
        const r = await eng().callerLeft(caller, 'abandon');
        if (r.found) {
          callers.delete(caller);
          connected.delete(caller);
        }
      } else {
        clock.advance(Math.floor(rand() * 8_000));
        await Promise.all(engines.map((e) => e.tick()));
      }
    };

    for (let round = 0; round < 200; round++) {
      const n = 3 + Math.floor(rand() * 6);
      // The same offer may be answered on one instance and failed on the other at once: fencing decides.
      const dup = [...pending.values()][0];
      const extra = dup !== undefined && rand() < 0.3
        ? [h1.engine.offerAnswered(dup.offerId, dup.fencingToken, `leg-${dup.offerId}`, 'fs1').then((r) => {
          if (r.ok) {
            assert.equal(connected.has(dup.callUuid), false);
            connected.set(dup.callUuid, `leg-${dup.offerId}`);
          }
        }), h2.engine.offerFailed(dup.offerId, dup.fencingToken, 'no-answer').then(() => undefined)]
        : [];
      await Promise.all([...Array.from({ length: n }, act), ...extra]);
      await checkState(r1, h1, agents);
    }

    // Wind down: every caller leaves or ends; every agent must end free, nothing left behind.
    for (const caller of [...callers]) await h2.engine.callerLeft(caller, 'abandon');
    clock.advance(3_600_000);
    await h1.engine.tick();
    for (const a of agents) {
      const st = (await h1.engine.agentStatus(a))?.state;
      assert.ok(st === 'available' || st === 'on-break' || st === 'logged-out', `agent ${a} is ${st}`);
    }
    assert.equal(await r1.hlen(h1.keys.acdUuids()), 0, 'no uuid left');
    assert.deepEqual(await r1.keys(`${h1.keys.acd('e')}:*`), [], 'no caller entry left');
    assert.deepEqual(await r1.keys(`${h1.keys.acd('o')}:*`), [], 'no offer left');

    // The queue log, in commit order: an agent is only ever reserved from available, and no caller connects twice.
    const log = await r1.xrange(h1.keys.acdLog(), '-', '+');
    const fields = (f: string[]): Record<string, string> => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i]!, f[2 * i + 1]!]));
    const rows = log.map(([, f]) => fields(f));
    let reservations = 0;
    for (const r of rows.filter((x) => x.event === 'AGENTSTATE' && x.to === 'reserved')) {
      reservations++;
      assert.equal(r.from, 'available', `agent ${r.agent} reserved while ${r.from}`);
    }
    const connects = rows.filter((r) => r.event === 'CONNECT').map((r) => r.uuid!);
    assert.equal(new Set(connects).size, connects.length, 'a caller connected twice');
    const offersLogged = rows.filter((r) => r.event === 'OFFER').length;
    assert.equal(offersLogged, reservations);
    assert.ok(connects.length > 50, `enough calls connected to mean something (${connects.length})`);
    const entered = rows.filter((r) => r.event === 'ENTERQUEUE').map((r) => r.uuid!);
    const ended = rows.filter((r) => ['ABANDON', 'COMPLETECALLER', 'COMPLETEAGENT', 'EXITWITHTIMEOUT', 'EXITEMPTY'].includes(r.event!)).map((r) => r.uuid!);
    assert.deepEqual([...ended].sort(), [...entered].sort(), 'every caller who entered left exactly once');
    await h1.engine.close();
    await h2.engine.close();
  });

  it('a restart while callers wait loses none: the new instance times out the old offers and serves everyone', async (t) => {
    const prefix = uniquePrefix('restart');
    const clock = new ManualClock();
    const r1 = await client(fx.server.url, t);
    const a = harness(r1, prefix, { clock });
    await queue(a.engine, 'q', { strategy: 'longest-idle-agent', offerTimeoutSec: 10 });
    for (let i = 0; i < 5; i++) {
      await agent(a.engine, `ag${i}`, {}, { q: [1, i] });
      await a.engine.setAgentState(`ag${i}`, 'available');
    }
    for (let i = 0; i < 20; i++) await a.engine.enqueue({ queue: 'q', callUuid: `w${i}`, node: 'fs1', callerIdNumber: '', callerIdName: '' });
    assert.equal(a.offers.length, 5, 'five offers out when the instance dies');
    await a.engine.close();
    await closeRedis(r1); // the instance is gone: its connection too

    const r2 = await client(fx.server.url, t);
    const b = harness(r2, prefix, { clock });
    clock.advance(15_000);
    await b.engine.start(); // runs what is due: the five dead offers time out, the callers are offered again
    assert.equal(b.offers.length, 5);
    const served = new Set<string>();
    while (b.offers.length > 0) {
      const o = b.offers.shift()!;
      assert.equal((await b.engine.offerAnswered(o.offerId, o.fencingToken, `leg-${o.callUuid}`, 'fs1')).ok, true);
      clock.advance(1_000);
      await b.engine.callEnded(`leg-${o.callUuid}`, 'agent');
      served.add(o.callUuid);
    }
    assert.equal(served.size, 20);
    assert.deepEqual(await b.engine.callers('q'), []);
    await b.engine.close();
  });

  it('a timer set by one instance arms the other through the wake channel', async (t) => {
    const prefix = uniquePrefix('wake');
    const r1 = await client(fx.server.url, t);
    const r2 = await client(fx.server.url, t);
    const sub = await client(fx.server.url, t);
    const c1 = new ManualClock();
    const c2 = new ManualClock();
    const one = harness(r1, prefix, { clock: c1 });
    const keys = one.keys;
    const { AcdEngine } = await import('../../src/acd/engine.js');
    const listener = new AcdEngine({ redis: r2, keys, logger: (await import('./helpers.js')).silent, clock: c2, registrationsHash: null, registrationField: 'extension', subscriber: sub });
    await listener.start();
    await queue(one.engine, 'q', { maxWaitSec: 90 });
    const armed = new Promise<void>((resolve) => sub.once('message', () => setImmediate(resolve)));
    await one.engine.enqueue({ queue: 'q', callUuid: 'z1', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    await armed;
    assert.deepEqual(c2.armed, [c2.now() + 60_000], 'armed for min(due, 60 s), then re-read');
    await listener.close();
    await one.engine.close();
  });
});
