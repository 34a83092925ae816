/**
 * The ACD over REST (admin key, validation, 404/409, OpenAPI) with queues and agents
 * seeded from the config, and the statistics formulas on a scripted day (manual clock).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import type { FsPool } from '../../src/esl/types.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createServices } from '../../src/services.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { AcdStats } from '../../src/acd/stats.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, harness, queue } from './helpers.js';

const ADMIN = 'admin-key-0123456789abcdef';
const auth = { 'x-api-key': ADMIN };
const noPool: FsPool = { nodes: [], get: () => { throw new Error('no nodes'); }, statuses: () => [], close: async () => {} };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('REST /api/v1/acd', () => {
  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

  async function makeApp(prefix: string) {
    const config = validateConfig({
      redis: { keyPrefix: prefix },
      admin: { keys: [ADMIN] },
      acd: {
        queues: [{ name: 'support', strategy: 'top-down', tiers: [{ agent: 'alice', level: 1, position: 1 }] }],
        agents: [{ id: 'alice', contact: { type: 'dial', dialString: 'user/1001' }, state: 'available' }],
      },
    });
    const logger = createLogger('silent');
    const metrics = createMetrics({ defaultMetrics: false });
    const policy = new FsPolicy(config.security);
    const services = createServices({ config, logger, redis: db.redis, pool: noPool, metrics, policy });
    closers.push(() => services.close());
    services.start();
    await services.acd.ready;
    const app = buildApp({ config, logger, redis: db.redis, pool: noPool, metrics, version: 't', services, policy });
    closers.push(() => app.close());
    return { app, services };
  }

  it('seeds the config, serves queues/agents/tiers/state/callers/stats/log, refuses bad input', async () => {
    const { app, services } = await makeApp(uniquePrefix('rest'));
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/acd/queues' })).statusCode, 401);
    let res = await app.inject({ method: 'GET', url: '/api/v1/acd/queues', headers: auth });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().queues.map((q: { name: string }) => q.name), ['support']);
    res = await app.inject({ method: 'GET', url: '/api/v1/acd/agents/alice', headers: auth });
    assert.equal(res.json().status.state, 'available', 'seeded with its state');

    res = await app.inject({ method: 'PUT', url: '/api/v1/acd/queues/sales', headers: auth, payload: { strategy: 'ring-all', maxWaitSec: 300 } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().offerTimeoutSec, 20, 'defaults filled in');
    res = await app.inject({ method: 'PUT', url: '/api/v1/acd/queues/sales', headers: auth, payload: { strategy: 'nope' } });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /strategy/);
    res = await app.inject({ method: 'PUT', url: '/api/v1/acd/queues/sales', headers: auth, payload: { strategy: 'top-down', color: 'red' } });
    assert.equal(res.statusCode, 400, 'unknown keys are refused');
    res = await app.inject({ method: 'PUT', url: '/api/v1/acd/agents/bob', headers: auth, payload: { contact: { type: 'extension', extension: '1002' }, skills: { fr: 3 } } });
    assert.equal(res.statusCode, 201, res.body);
    res = await app.inject({ method: 'PUT', url: '/api/v1/acd/queues/sales/tiers/bob', headers: auth, payload: { level: 2, position: 5 } });
    assert.deepEqual(res.json(), { queue: 'sales', agent: 'bob', level: 2, position: 5 });
    res = await app.inject({ method: 'PUT', url: '/api/v1/acd/queues/sales/tiers/nobody', headers: auth, payload: {} });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'FREECTI_ERR_ACD_AGENT_NOT_FOUND');
    res = await app.inject({ method: 'GET', url: '/api/v1/acd/queues/sales/tiers', headers: auth });
    assert.deepEqual(res.json().tiers, [{ agent: 'bob', level: 2, position: 5 }]);
    res = await app.inject({ method: 'PUT', url: '/api/v1/acd/agents/bob/state', headers: auth, payload: { state: 'on-break', reason: 'lunch' } });
    assert.deepEqual([res.json().state, res.json().reason], ['on-break', 'lunch']);
    res = await app.inject({ method: 'PUT', url: '/api/v1/acd/agents/bob/state', headers: auth, payload: { state: 'sleeping' } });
    assert.equal(res.statusCode, 400);

    const engine = services.acd.engine;
    await engine.enqueue({ queue: 'sales', callUuid: 'u1', node: 'fs1', callerIdNumber: '555', callerIdName: 'Ann' });
    res = await app.inject({ method: 'GET', url: '/api/v1/acd/queues/sales/callers', headers: auth });
    assert.deepEqual(res.json().callers.map((c: { callUuid: string; position: number }) => [c.callUuid, c.position]), [['u1', 1]]);
    res = await app.inject({ method: 'DELETE', url: '/api/v1/acd/queues/sales', headers: auth });
    assert.equal(res.statusCode, 409);
    res = await app.inject({ method: 'GET', url: '/api/v1/acd/queues/sales/stats', headers: auth });
    const stats = res.json();
    assert.equal(stats.waiting, 1);
    assert.equal(stats.windows['15m'].entered, 1);
    assert.equal(stats.agents['on-break'].count, 1);
    res = await app.inject({ method: 'GET', url: '/api/v1/acd/log?count=3', headers: auth });
    const events = res.json().events as { event: string }[];
    assert.equal(events.length, 3);
    assert.equal(events[0]!.event, 'ENTERQUEUE', 'newest first');
    res = await app.inject({ method: 'GET', url: '/api/v1/acd/log?count=0', headers: auth });
    assert.equal(res.statusCode, 400);
    res = await app.inject({ method: 'GET', url: '/api/v1/acd/queues/ghost/stats', headers: auth });
    assert.equal(res.statusCode, 404);
    res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.match(res.body, /freecti_acd_waiting_callers\{queue="sales"\} 1/);
    assert.match(res.body, /freecti_acd_agents\{queue="sales",state="on-break"\} 1/);
    assert.match(res.body, /freecti_acd_agent_state_seconds\{agent="bob",state="on-break"\} \d+/);
    assert.match(res.body, /freecti_acd_agent_answered_today\{agent="alice"\} 0/);
    res = await app.inject({ method: 'GET', url: '/openapi.json' });
    const paths = Object.keys(res.json().paths).filter((p) => p.startsWith('/api/v1/acd'));
    assert.ok(paths.includes('/api/v1/acd/queues/{queue}/stats') && paths.includes('/api/v1/acd/agents/{agent}/state'), paths.join(' '));
  });

  it('a restart seeds the config again but keeps what REST changed since', async () => {
    const prefix = uniquePrefix('reseed');
    const first = await makeApp(prefix);
    let res = await first.app.inject({ method: 'PUT', url: '/api/v1/acd/queues/support', headers: auth, payload: { strategy: 'ring-all' } });
    assert.equal(res.statusCode, 200);
    await first.app.inject({ method: 'PUT', url: '/api/v1/acd/queues/support/tiers/alice', headers: auth, payload: { level: 3, position: 9 } });
    await first.app.close();
    await first.services.close();
    const second = await makeApp(prefix);
    res = await second.app.inject({ method: 'GET', url: '/api/v1/acd/queues/support', headers: auth });
    assert.equal(res.json().strategy, 'ring-all');
    res = await second.app.inject({ method: 'GET', url: '/api/v1/acd/queues/support/tiers', headers: auth });
    assert.deepEqual(res.json().tiers, [{ agent: 'alice', level: 3, position: 9 }]);
  });

  it('config: a tier naming an agent that is not configured stops the start', () => {
    assert.throws(() => validateConfig({ acd: { queues: [{ name: 'q', tiers: [{ agent: 'ghost' }] }] } }), /acd\.queues\[0\]\.tiers\[0\]\.agent: agent 'ghost' is not in acd\.agents|ghost/);
  });
});

describe('ACD statistics', () => {
  const db = useRedis();

  it('abandon rate, service level, ASA, AHT and occupancy over a scripted hour', async () => {
    const h = harness(db.redis, uniquePrefix('stats'));
    const stats = new AcdStats(db.redis, h.keys, h.clock);
    h.clock.time = Math.floor(h.clock.time / 3_600_000) * 3_600_000 + 60_000; // 1 min into an hour, same UTC day
    await queue(h.engine, 'q', { serviceLevelSec: 20, shortAbandonSec: 5, maxWaitSec: 600 });
    await agent(h.engine, 'a', { wrapUpSec: 10 }, { q: [1, 1] });
    const join = (uuid: string) => h.engine.enqueue({ queue: 'q', callUuid: uuid, node: 'fs1', callerIdNumber: '', callerIdName: '' });
    // Two answered calls: waits 10 s and 30 s, talk 60 s each, wrap 10 s each.
    for (const [uuid, wait] of [['c1', 10_000], ['c2', 30_000]] as const) {
      await join(uuid);
      h.clock.advance(wait);
      await h.engine.setAgentState('a', 'available');
      const o = h.offers.at(-1)!;
      await h.engine.offerAnswered(o.offerId, o.fencingToken, `leg-${uuid}`, 'fs1');
      h.clock.advance(60_000);
      await h.engine.callEnded(`leg-${uuid}`, 'agent');
      h.clock.advance(10_000);
      await h.engine.tick();
      await h.engine.setAgentState('a', 'on-break', 'x');
    }
    // Abandons: one short (2 s), one long (40 s).
    await join('s1');
    h.clock.advance(2_000);
    await h.engine.callerLeft('s1', 'abandon');
    await join('l1');
    h.clock.advance(40_000);
    await h.engine.callerLeft('l1', 'abandon');
    const s = await stats.queue('q', { serviceLevelSec: 20, shortAbandonSec: 5 });
    for (const w of ['15m', '60m', 'today'] as const) {
      const x = s.windows[w];
      assert.deepEqual([x.entered, x.answered, x.abandoned, x.shortAbandoned, x.handled], [4, 2, 2, 1, 2], w);
      assert.equal(x.abandonRate, Math.round((1 / 3) * 10_000) / 10_000, 'long abandons / (entered - short)');
      assert.equal(x.serviceLevel, Math.round((1 / 3) * 10_000) / 10_000, 'within 20 s / (answered + long abandons)');
      assert.equal(x.asaSec, 20);
      assert.equal(x.ahtSec, 70, 'talk + wrap-up');
    }
    // Agent time: reserved 0, in-call 120 s, wrap-up 20 s, available 0 → occupancy 1.
    const a = await stats.agent('a');
    assert.equal(a?.windows['60m'].secondsIn['in-call'], 120);
    assert.equal(a?.windows['60m'].secondsIn['wrap-up'], 20);
    assert.equal(a?.windows['60m'].occupancy, 1);
    await h.engine.setAgentState('a', 'available');
    h.clock.advance(140_000);
    const later = await stats.agent('a');
    assert.equal(later?.windows['60m'].occupancy, 0.5, '140 s busy, 140 s available (counted live)');
    assert.equal(later?.inStateSec, 140);
    const [today] = await stats.agentsToday(['a']);
    assert.deepEqual([today?.state, today?.answered, today?.talkSec, today?.occupancy, today?.inStateSec], ['available', 2, 120, 0.5, 140]);
  });

  it('time in a state is spread over the minutes and UTC days it spans: 15m, 60m and today never hold more than they last', async () => {
    const h = harness(db.redis, uniquePrefix('stats'));
    const stats = new AcdStats(db.redis, h.keys, h.clock);
    const midnight = Math.ceil(h.clock.time / 86_400_000) * 86_400_000;
    h.clock.time = midnight - 50 * 60_000 + 30_000; // 23:10:30 UTC
    await queue(h.engine, 'q');
    await agent(h.engine, 'a', {}, { q: [1, 1] });
    await h.engine.setAgentState('a', 'available');
    h.clock.advance(80 * 60_000); // available until 00:30:30 the next day
    await h.engine.setAgentState('a', 'on-break', 'lunch');
    const s = await stats.agent('a');
    const minute = Math.floor(h.clock.now() / 60_000);
    assert.equal(s?.windows['15m'].secondsIn.available, (h.clock.now() - (minute - 14) * 60_000) / 1000, 'only the 15 last minute buckets');
    assert.equal(s?.windows['60m'].secondsIn.available, (h.clock.now() - (minute - 59) * 60_000) / 1000, 'only the 60 last minute buckets');
    assert.equal(s?.windows.today.secondsIn.available, 30 * 60 + 30, 'today: from 00:00 UTC only');
    h.clock.advance(20 * 60_000);
    const later = await stats.agent('a');
    const span15 = (h.clock.now() - (Math.floor(h.clock.now() / 60_000) - 14) * 60_000) / 1000;
    assert.deepEqual([later?.windows['15m'].secondsIn.available, later?.windows['15m'].secondsIn['on-break']], [0, span15], 'the live time is capped to the same buckets');
  });
});
