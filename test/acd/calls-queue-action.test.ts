/**
 * The `queue <name> [priority]` action of routing replies: refused when malformed, served
 * inline as `set freecti_queue` + `socket`, and in control mode the session freecti holds
 * is handed to the ACD (real outbound socket, fake FreeSWITCH, real engine on Redis).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { parseActions } from '../../src/routing/reply.js';
import { withLinegroupBridges, needsSocket } from '../../src/routing/control-dialplan.js';
import { attachControlMode } from '../../src/routing/control-mode.js';
import { routeSchema } from '../../src/routing/route-schema.js';
import type { RouteStore } from '../../src/routing/route-store.js';
import type { WebhookClient } from '../../src/webhook/types.js';
import { OutboundServer } from '../../src/esl/outbound-server.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { AcdSwitch } from './acd-switch.js';
import { startInstance } from './calls-rig.js';
import { agent, queue, silent } from './helpers.js';

const policy = new FsPolicy();
const scope = { outbound: false, context: 'default' };

describe('the queue action', () => {
  it('parses <queue> [priority] and refuses anything else', () => {
    assert.deepEqual(parseActions([{ application: 'queue', data: 'sales 5' }, { application: 'hangup' }], policy, scope), {
      ok: true,
      actions: [{ application: 'queue', data: 'sales 5' }, { application: 'hangup', data: '' }],
    });
    for (const data of ['', 'sales 500', 'sa les', 'sales ${x}', 'sales -1']) {
      const parsed = parseActions([{ application: 'queue', data }], policy, scope);
      assert.equal(parsed.ok, false, data);
      if (!parsed.ok) assert.match(parsed.reason, /^action 0: 'queue' /);
    }
  });

  it('inline: set freecti_queue (and the priority), then the outbound socket; later actions run when the ACD lets go', () => {
    const actions = [{ application: 'queue', data: 'sales 5' }, { application: 'hangup', data: 'NORMAL_CLEARING' }];
    assert.ok(needsSocket(actions[0]!));
    assert.deepEqual(withLinegroupBridges(actions, '127.0.0.1:8084'), [
      { application: 'set', data: 'freecti_queue=sales' },
      { application: 'set', data: 'freecti_queue_priority=5' },
      { application: 'socket', data: '127.0.0.1:8084 async full' },
      { application: 'hangup', data: 'NORMAL_CLEARING' },
    ]);
    assert.deepEqual(withLinegroupBridges([{ application: 'queue', data: 'support' }], '[::1]:8084'), [
      { application: 'set', data: 'freecti_queue=support' },
      { application: 'socket', data: '[::1]:8084 async full' },
    ]);
  });

  describe('control mode', () => {
    const fx = useRedis();
    let sw: AcdSwitch;
    before(async () => {
      sw = await AcdSwitch.start();
    });
    after(async () => {
      await sw.close();
    });

    it('a control reply `queue q7 5` hands the session to the ACD: queued with priority 5, bridged to the agent', async () => {
      const i = await startInstance(sw, fx.redis, uniquePrefix('acdq'), { outbound: false });
      const server = new OutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 5000, connectTimeoutMs: 5000, logger: silent });
      try {
        await queue(i.engine, 'q7', {});
        await agent(i.engine, '4001', {}, { q7: [1, 1] });
        const route = routeSchema.parse({ id: 'r7', context: 'default', mode: 'control', url: 'http://127.0.0.1/acd' });
        const store = { get: async () => route } as unknown as RouteStore;
        const webhooks = { requestJson: async () => ({ response: {}, data: [{ application: 'queue', data: 'q7 5' }] }) } as unknown as WebhookClient;
        attachControlMode(server, { store, webhooks, logger: silent, policy, queue: (session, request) => i.calls.handleQueueSession(session, request) });
        const port = (await server.listen()).port;
        const call = sw.track(sw.fake.dial(port, { variables: { freecti_route: 'r7' } }));
        await waitFor(async () => (await i.engine.callers('q7')).length === 1);
        const [waiting] = await i.engine.callers('q7');
        assert.equal(waiting?.callUuid, call.uuid);
        assert.equal(waiting?.priority, 5);
        await waitFor(() => sw.nowPlaying(call.uuid) === 'playback local_stream://moh');
        await i.engine.setAgentState('4001', 'available');
        await waitFor(() => sw.bridges.some((b) => b.startsWith(call.uuid)));
        await call.hangup();
        await waitFor(async () => (await i.engine.agentStatus('4001'))?.state === 'available');
      } finally {
        await server.close();
        await i.stop();
      }
    });
  });
});
