/**
 * A campaign's failure paths settle the line slot and the call: a Redis error while the
 * runner marks a number as dialling gives the slot back (the resolver renews every slot it
 * holds until released), and an originate whose result never comes (the connection to
 * FreeSWITCH lost) ends that call with uuid_kill before its slot goes back.
 * Real Redis, a fake FreeSWITCH over TCP, a real line-group resolver.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Redis } from 'ioredis';
import { CalloutService } from '../../src/callout/campaign.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { getScript, runScript } from '../../src/lua-scripts.js';
import { createWebhookClient } from '../../src/webhook/index.js';
import type { WebhookClient } from '../../src/webhook/types.js';
import { sentCommands, startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { VirtualClock } from './virtual-clock.js';

const fixture = useRedis();
let nodes: FakeNodes;
let webhooks: WebhookClient;
before(async () => {
  nodes = await startFakeNodes('fs1');
  webhooks = createWebhookClient({ logger: createLogger('silent') });
});
after(async () => {
  await webhooks.close();
  await nodes.close();
});

async function setUp(redis: Redis): Promise<{ callouts: CalloutService; resolver: LinegroupResolver; keys: Keys }> {
  const keys = new Keys(uniquePrefix('cofail'));
  const resolver = new LinegroupResolver({ redis, keys, logger: createLogger('silent') });
  await resolver.store.put('out', { lines: [{ id: 'l1', gateway: 'carrier1', maxConcurrent: 1 }] });
  const callouts = new CalloutService({ redis, keys, pool: nodes.pool, policy: new FsPolicy(), logger: createLogger('silent'), webhooks, socket: '127.0.0.1:8040', clock: new VirtualClock(), pollMs: 50, resolver });
  return { callouts, resolver, keys };
}

it('a Redis error while marking a number as dialling gives its line slot back', async () => {
  const redis = new Redis(fixture.server.url, { maxRetriesPerRequest: 1 });
  try {
    // Define the script's command on this client, then make its next call fail as a Redis blip would.
    await runScript(redis, 'callout-dial', ['x:runner', 'x', 'x:dialing'], ['no-token', 0, '{}']);
    const name = `freecti_callout_dial_${getScript('callout-dial').sha.slice(0, 12)}`;
    const methods = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const real = methods[name] as (...args: unknown[]) => Promise<unknown>;
    let failed = 0;
    methods[name] = (...args: unknown[]) => (failed++ === 0 ? Promise.reject(new Error('Connection is closed.')) : real.apply(redis, args));
    const { callouts, resolver } = await setUp(redis);
    nodes.fakes[0]!.onApi('originate', () => '-ERR USER_BUSY\n');
    await callouts.start({ numbers: ['7001'], queue: 'support', linegroup: 'out', callerId: '4000', ratePerSec: 10, maxConcurrent: 1 });
    await waitFor(() => failed > 0);
    await callouts.idle();
    assert.equal(resolver.heldCount, 0, 'no slot held by a number that was never dialled');
    assert.deepEqual((await resolver.slots.status('out', (await resolver.store.get('out')).lines)).map((s) => s.active), [0]);
    await callouts.close();
    resolver.stopRenewing();
  } finally {
    redis.disconnect();
  }
});

it('an originate whose result never comes (connection lost) is killed before its slot goes back', async () => {
  const { callouts, resolver } = await setUp(fixture.redis);
  let placed = '';
  nodes.fakes[0]!.onApi('originate', (args) => {
    placed = /origination_uuid=([0-9a-f-]+)/.exec(args)?.[1] ?? '?';
    return new Promise<string>(() => undefined); // FreeSWITCH never answers this job
  });
  nodes.fakes[0]!.onApi('uuid_kill', () => '+OK\n');
  const started = await callouts.start({ numbers: ['7002'], queue: 'support', linegroup: 'out', callerId: '4000', ratePerSec: 10, maxConcurrent: 1 });
  await waitFor(() => placed !== '');
  nodes.fakes[0]!.dropConnections();
  await callouts.idle();
  const kills = sentCommands(nodes.fakes[0]!).filter((c) => c.command === 'uuid_kill').map((c) => c.args);
  assert.deepEqual(kills, [`${placed} ORIGINATOR_CANCEL`]);
  const view = await callouts.get(started.id);
  assert.deepEqual(view.results.map((r) => [r.outcome, r.cause]), [['failed', 'ESL_DISCONNECTED']]);
  assert.equal(resolver.heldCount, 0);
  await callouts.close();
  resolver.stopRenewing();
});
