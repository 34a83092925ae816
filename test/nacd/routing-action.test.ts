/**
 * The `nacd <group>` action of routing replies: refused when malformed, served inline as
 * `set nacd_group` + `socket`, and in control mode the session freecti holds runs the
 * group's callflow (real outbound socket, fake FreeSWITCH, real Redis, real HTTP apps).
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'node:test';
import { parseActions } from '../../src/routing/reply.js';
import { needsSocket, withLinegroupBridges } from '../../src/routing/control-dialplan.js';
import { attachControlMode } from '../../src/routing/control-mode.js';
import { routeSchema } from '../../src/routing/route-schema.js';
import type { RouteStore } from '../../src/routing/route-store.js';
import { OutboundServer } from '../../src/esl/outbound-server.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { createWebhookClient } from '../../src/webhook/index.js';
import { runNacdOnSession } from '../../src/nacd/attach.js';
import { nacdConfigSchema } from '../../src/nacd/config-schema.js';
import { NacdGroupStore } from '../../src/nacd/group-store.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { startSeedApp, type SeedApp } from './seed-app.js';

const policy = new FsPolicy();
const scope = { outbound: false, context: 'default' };

describe('the nacd action of routing replies', () => {
  it('parses <group> and refuses anything else', () => {
    assert.deepEqual(parseActions([{ application: 'nacd', data: ' 120 ' }], policy, scope), { ok: true, actions: [{ application: 'nacd', data: '120' }] });
    for (const data of ['', '12 0', '120;x', '${x}']) {
      const parsed = parseActions([{ application: 'nacd', data }], policy, scope);
      assert.equal(parsed.ok, false, data);
      if (!parsed.ok) assert.match(parsed.reason, /^action 0: 'nacd' /);
    }
  });

  it('inline: set nacd_group, then the outbound socket; later actions run when the callflow gives the call back', () => {
    const actions = [{ application: 'nacd', data: '120' }, { application: 'hangup', data: 'NORMAL_CLEARING' }];
    assert.ok(needsSocket(actions[0]!));
    assert.deepEqual(withLinegroupBridges(actions, '127.0.0.1:8084'), [
      { application: 'set', data: 'nacd_group=120' },
      { application: 'socket', data: '127.0.0.1:8084 async full' },
      { application: 'hangup', data: 'NORMAL_CLEARING' },
    ]);
  });

  describe('control mode', () => {
    let redisServer: TestRedis;
    let redis: Redis;
    let fake: FakeFreeSwitch;
    let seed: SeedApp;
    let routeApp: TestApp;
    before(async () => {
      redisServer = await startRedis();
      redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
      fake = await FakeFreeSwitch.start();
      seed = await startSeedApp();
      routeApp = await startApp((_req, res) => json(res, [{ application: 'nacd', data: '119' }]));
    });
    after(async () => {
      await routeApp.close();
      await seed.close();
      await fake.close();
      await redis.quit();
      await redisServer.stop();
    });

    it('a control reply `nacd 119` runs the group callflow on the held session', async () => {
      const logger = createLogger('silent');
      const webhooks = createWebhookClient({});
      const groups = new NacdGroupStore(redis, new Keys(uniquePrefix('nacdr')));
      await groups.put('119', { callflowUrl: `${seed.url}/callflow` });
      const server = new OutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 3000, connectTimeoutMs: 3000, logger });
      try {
        const route = routeSchema.parse({ id: 'r9', context: 'default', mode: 'control', url: `${routeApp.url}/route` });
        const store = { get: async () => route } as unknown as RouteStore;
        const deps = { webhooks, logger, groups, settings: nacdConfigSchema.parse({}), policy };
        attachControlMode(server, { store, webhooks, logger, policy, nacd: (session, group) => runNacdOnSession(session, deps, group) });
        const port = (await server.listen()).port;
        const call = fake.dial(port, { variables: { freecti_route: 'r9' } });
        await call.closed;
        assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['answer ', 'playback goodbye.wav']);
        assert.deepEqual(call.hangups, ['NORMAL_CLEARING']);
        assert.deepEqual(seed.requests.map((r) => [r.group_number, r.call_uuid]), [['119', call.uuid]]);
      } finally {
        await server.close();
        await webhooks.close(0);
      }
    });
  });
});
