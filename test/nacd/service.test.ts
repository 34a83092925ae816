/**
 * The composition root runs the nacd callflow: a freecti service (src/service.ts) on a
 * real Redis, groups seeded from its config, its outbound socket taking a `nacd_group`
 * call dialed by the fake FreeSWITCH, the seed's Go server (TypeScript) answering.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { freePort, uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { startSeedApp, type SeedApp } from './seed-app.js';

describe('nacd in the service', () => {
  const fx = useRedis();
  let fake: FakeFreeSwitch;
  let app: SeedApp;
  before(async () => {
    fake = await FakeFreeSwitch.start();
    app = await startSeedApp();
  });
  after(async () => {
    await app.close();
    await fake.close();
  });

  it('a nacd_group call on the service socket asks the seeded group and runs its reply', async () => {
    const outboundPort = await freePort();
    const prefix = uniquePrefix('nacdsvc');
    const config = validateConfig({
      redis: { url: fx.server.url, keyPrefix: prefix },
      http: { host: '127.0.0.1', port: await freePort() },
      eslOutbound: { host: '127.0.0.1', port: outboundPort },
      freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] },
      nacd: { groups: { '119': { callflowUrl: `${app.url}/callflow`, eventUrl: `${app.url}/event` } } },
    });
    const service = await startService(config, createLogger('silent'));
    try {
      await waitFor(async () => (await fx.redis.hexists(new Keys(prefix).nacdGroups(), '119')) === 1);
      const call = fake.dial(outboundPort, { variables: { nacd_group: '119' } });
      await call.closed;
      assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['unset nacd_group', 'answer ', 'playback goodbye.wav']);
      assert.deepEqual(call.hangups, ['NORMAL_CLEARING']);
      assert.deepEqual(app.requests.map((r) => [r.event, r.group_number, r.call_uuid]), [['incoming', '119', call.uuid]]);
      await waitFor(() => app.events.filter((e) => e.call_uuid === call.uuid).length === 2);
    } finally {
      await service.stop();
    }
  });
});
