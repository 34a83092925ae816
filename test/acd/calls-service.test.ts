/**
 * The composition root runs the ACD's call half: a freecti service (src/service.ts) on a real
 * Redis, its node pool connected to the fake FreeSWITCH, its outbound socket taking a
 * `freecti_queue` call; the agent seeded from config is originated and bridged, and the
 * service stops cleanly with the call half.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { startService } from '../../src/service.js';
import { freePort, uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { AcdSwitch } from './acd-switch.js';
import { silent } from './helpers.js';
import { Keys } from '../../src/keys.js';

describe('ACD calls in the service', () => {
  const fx = useRedis();
  let sw: AcdSwitch;
  before(async () => {
    sw = await AcdSwitch.start();
  });
  after(async () => {
    await sw.close();
  });

  it('a freecti_queue call on the service socket is queued, the seeded agent called and bridged', async () => {
    const outboundPort = await freePort();
    const prefix = uniquePrefix('acdsvc');
    const config = validateConfig({
      redis: { url: fx.server.url, keyPrefix: prefix },
      http: { host: '127.0.0.1', port: await freePort() },
      eslOutbound: { host: '127.0.0.1', port: outboundPort },
      freeswitch: { nodes: [{ name: 'fs1', host: sw.fake.host, port: sw.fake.port, password: sw.fake.password }] },
      acd: {
        requireRegistration: false,
        queues: [{ name: 'svc', offerTimeoutSec: 9, tiers: [{ agent: '9001' }] }],
        agents: [{ id: '9001', contact: { type: 'extension', extension: '9001' }, state: 'available' }],
        calls: { reapIntervalMs: 60_000 },
      },
    });
    const service = await startService(config, silent);
    try {
      // The service seeds the queue and the agent once Redis is ready; a call before that finds no queue.
      await waitFor(async () => (await fx.redis.hexists(new Keys(prefix).acdQueues(), 'svc')) === 1);
      const call = sw.caller(outboundPort, 'svc');
      await waitFor(() => sw.bridges.some((b) => b.startsWith(call.uuid)));
      const originate = sw.originates.find((o) => o.includes(`freecti_acd_caller=${call.uuid}`)) ?? '';
      assert.match(originate, /,originate_timeout=9,.*\}user\/9001 &park\(\)$/);
      await call.hangup();
    } finally {
      await service.stop();
    }
  });
});
