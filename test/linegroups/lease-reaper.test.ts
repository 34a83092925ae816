/**
 * The lease reaper over real TCP: a real node pool connected to the fake FreeSWITCH;
 * the B leg's CHANNEL_HANGUP_COMPLETE (carrying the freecti_* variables the dial string
 * set) gives the slot back and records the outcome.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { createNodePool } from '../../src/esl/node-pool.js';
import { createLogger } from '../../src/logger.js';
import { attachLeaseReaper } from '../../src/linegroups/lease-reaper.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { putGroup, startEnv, uniquePrefix, type LinegroupEnv } from './setup.js';

let env: LinegroupEnv;
let fake: FakeFreeSwitch;
before(async () => {
  env = await startEnv();
  fake = await FakeFreeSwitch.start();
});
after(async () => {
  await fake.close();
  await env.stop();
});

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('releases the slot named by a leg hangup and records a line failure', async () => {
  const resolver = env.resolver(uniquePrefix());
  await putGroup(resolver, 'g', { quarantine: { failures: 1, periodMs: 60_000 }, lines: [{ id: 'a', gateway: 'gw', maxConcurrent: 1 }, { id: 'b', gateway: 'gw2' }] });
  const config = validateConfig({ freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] } });
  const pool = createNodePool(config, createLogger('silent'));
  const detach = attachLeaseReaper(pool, resolver, createLogger('silent'));
  try {
    await fake.waitForCommand(/^event .*CHANNEL_HANGUP_COMPLETE/, 3000);
    const { lease, dialString } = await resolver.resolveLinegroupDialString('linegroup/g/5551234');
    assert.equal(lease.line, 'a');
    const leg = /\[(.*)\]/.exec(dialString)?.[1] ?? '';
    const vars = Object.fromEntries(leg.split(',').map((kv) => kv.split('=') as [string, string]));
    // An unrelated leg's hangup changes nothing.
    fake.emitEvent({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', 'Unique-ID': 'other-leg', 'Hangup-Cause': 'NORMAL_CLEARING' });
    fake.emitEvent({
      'Event-Name': 'CHANNEL_HANGUP_COMPLETE',
      'Unique-ID': 'b-leg-uuid',
      'Call-Direction': 'outbound',
      'Hangup-Cause': 'NETWORK_OUT_OF_ORDER',
      'Caller-Channel-Answered-Time': '0',
      variable_sip_term_status: '502',
      variable_freecti_linegroup: vars['freecti_linegroup']!,
      variable_freecti_line: vars['freecti_line']!,
      variable_freecti_lease: vars['freecti_lease']!,
    });
    const lines = (await resolver.store.get('g')).lines;
    await until('the slot released', async () => (await resolver.slots.status('g', lines))[0]?.active === 0);
    const [a] = await resolver.slots.status('g', lines);
    assert.deepEqual([a?.failures, a?.quarantined], [1, true]);
    // releasing again (the bridge that drove the call) records nothing more
    assert.equal((await resolver.release(lease, { cause: 'NETWORK_OUT_OF_ORDER' })).release.released, false);
  } finally {
    detach();
    await pool.close();
  }
});
