/**
 * Issue 12 item 3: line slots cannot leak. 1,000 calls through the resolver's failover
 * loop and the /cli cti_originate path (sync and bgapi) with random failures (dialers
 * that throw, failed lines, -ERR jobs, lost jobs, bgapi refused, calls that live a while),
 * plus a crashed instance whose renewals stop: at the end every slot is free. Short TTLs
 * (1 s), no long sleeps.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FreectiError } from '../../src/errors.js';
import { Keys } from '../../src/keys.js';
import type { BackgroundJob } from '../../src/esl/types.js';
import { dialWithFailover } from '../../src/linegroups/failover.js';
import type { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { runCliCall } from '../../src/cli-http/run-call.js';
import type { LinegroupDialer } from '../../src/originate/translate.js';
import { startEnv, putGroup, uniquePrefix, type LinegroupEnv } from './setup.js';

let env: LinegroupEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.stop();
});

const GROUP = {
  lines: [
    { id: 'a', gateway: 'gw-a', maxConcurrent: 400 },
    { id: 'b', gateway: 'gw-b', maxConcurrent: 400 },
    { id: 'c', gateway: 'gw-c', maxConcurrent: 400 },
  ],
  maxAttempts: 3,
  quarantine: { failures: 1000, periodMs: 10 },
  leaseTtlMs: 1000,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function dialerOf(resolver: LinegroupResolver): LinegroupDialer {
  return async (dialString) => {
    const { dialString: resolved, lease } = await resolver.resolveLinegroupDialString(dialString);
    return { dialString: resolved, release: async (cause) => void (await resolver.release(lease, { cause })) };
  };
}

/** A node whose jobs end as `plan` says; `uuid_exists` is true while the call "lives". */
function stubNode(random: () => number) {
  const live = new Set<string>();
  let n = 0;
  return {
    name: 'fs1',
    live,
    async api(command: string, arg = ''): Promise<string> {
      if (command === 'uuid_exists') return live.has(arg) ? 'true' : 'false';
      throw new Error(`unexpected api ${command}`);
    },
    async bgapi(): Promise<BackgroundJob> {
      const roll = random();
      if (roll < 0.1) throw new FreectiError('ESL_DISCONNECTED', 'connection lost');
      const jobUuid = `job-${++n}`;
      return {
        jobUuid,
        wait: async (options = {}) => {
          await sleep(Math.floor(random() * 5));
          if (roll < 0.3) return '-ERR NO_ANSWER\n';
          if (roll < 0.4) {
            // A lost job: no BACKGROUND_JOB ever comes; the bounded wait gives up.
            await sleep(Math.min(options.timeoutMs ?? 0, 5));
            throw new FreectiError('ESL_TIMEOUT', `background job ${jobUuid} did not finish in time`);
          }
          const uuid = `call-${n}`;
          live.add(uuid);
          setTimeout(() => live.delete(uuid), 20 + Math.floor(random() * 200)).unref();
          return `+OK ${uuid}\n`;
        },
      };
    },
  };
}

async function activeSlots(resolver: LinegroupResolver): Promise<number> {
  const group = await resolver.store.get('g');
  const status = await resolver.slots.status('g', group.lines);
  return status.reduce((sum, line) => sum + line.active, 0);
}

async function leaseEntries(prefix: string): Promise<number> {
  const redis = env.client();
  const keys = new Keys(prefix);
  let total = 0;
  for (const line of ['a', 'b', 'c']) total += await redis.zcard(keys.line('g', line).leases);
  return total;
}

test('a renewed slot outlives its TTL; a crashed instance\'s slots are reclaimed', async () => {
  const prefix = uniquePrefix();
  const live = env.resolver(prefix);
  const crashed = env.resolver(prefix);
  await putGroup(live, 'g', GROUP);
  const kept = await live.resolveLinegroupDialString('linegroup/g/100');
  await crashed.resolveLinegroupDialString('linegroup/g/101');
  crashed.stopRenewing();
  await sleep(1400);
  assert.equal(await activeSlots(live), 1, 'the live call keeps its slot past leaseTtlMs; the crashed one does not');
  await live.reapExpired(); // (the live renewals may have removed it from its line already)
  assert.equal(await leaseEntries(prefix), 1, 'only the live slot is left in Redis');
  await live.release(kept.lease, { answered: true });
  assert.equal(await activeSlots(live), 0);
  assert.equal(live.heldCount, 0);
  assert.equal(await leaseEntries(prefix), 0);
});

test('1,000 calls with random failures and a crashed instance end with every slot free', async () => {
  const prefix = uniquePrefix();
  const random = seeded(12);
  const resolver = env.resolver(prefix, random);
  const crashed = env.resolver(prefix, random);
  await putGroup(resolver, 'g', GROUP);
  const node = stubNode(random);
  const ctx = { node: () => node as never, dialLinegroup: dialerOf(resolver) };
  const hold = { probeEveryMs: 20 };
  let failures = 0;

  const failoverCall = async (i: number): Promise<void> => {
    await dialWithFailover(resolver, `linegroup/g/2${i}`, async () => {
      const roll = random();
      await sleep(Math.floor(roll * 5));
      if (roll < 0.2) throw new Error('dialer blew up');
      if (roll < 0.5) return { cause: 'NETWORK_OUT_OF_ORDER' };
      return { answered: true, cause: 'NORMAL_CLEARING' };
    }).catch(() => (failures += 1));
  };
  const cliCall = async (i: number, background: boolean): Promise<void> => {
    const arg = `{origination_caller_id_number=1000}linegroup/g/3${i} &park()`;
    const call = background ? { cmd: 'bgapi', arg: `cti_originate ${arg}`, node: undefined } : { cmd: 'cti_originate', arg, node: undefined };
    await runCliCall(ctx, call, hold).catch(() => (failures += 1));
  };

  const calls: Promise<void>[] = [];
  for (let i = 0; i < 1000; i++) {
    const kind = i % 10;
    if (kind === 9) {
      // The crashed instance takes slots and never gives them back.
      calls.push(crashed.resolveLinegroupDialString(`linegroup/g/4${i}`).then(() => undefined, () => undefined));
    } else if (kind < 4) calls.push(failoverCall(i));
    else calls.push(cliCall(i, kind >= 7));
    if (i % 50 === 49) await Promise.all(calls.splice(0));
    if (i === 500) crashed.stopRenewing();
  }
  await Promise.all(calls);
  crashed.stopRenewing();
  assert.ok(failures > 0, 'some calls failed on purpose');

  // Calls that are up are released when uuid_exists says they are gone (<= ~250 ms);
  // the crashed instance's slots expire within leaseTtlMs (1 s) and the sweep reclaims them.
  const deadline = Date.now() + 5000;
  while (resolver.heldCount > 0 && Date.now() < deadline) await sleep(50);
  assert.equal(resolver.heldCount, 0, 'the live instance holds nothing any more');
  await sleep(1100);
  await resolver.reapExpired();
  assert.equal(await activeSlots(resolver), 0);
  assert.equal(await leaseEntries(prefix), 0, 'no lease left in Redis');
});
