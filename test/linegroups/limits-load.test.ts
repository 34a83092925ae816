/**
 * Two independent "instances" (own ioredis client, own resolver) take slots of one group at
 * once. The limits must hold across both: concurrent calls per line never above
 * maxConcurrent, calls per second never above cps, per line and per destination prefix.
 *
 * Nothing here waits out real time: every worker makes a fixed number of attempts back to
 * back, and the per-second limits are checked on the times the Redis script took each slot
 * (`lease.takenAt`, Redis TIME) with the script's own sliding window, so the checks hold
 * however fast or slow the machine is. The load is chosen so that every limit is reached
 * (the first attempts of the burst alone exceed every limit).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { isFreectiError } from '../../src/errors.js';
import type { LinegroupResolver, LineLease } from '../../src/linegroups/resolver.js';
import { putGroup, startEnv, uniquePrefix, type LinegroupEnv } from './setup.js';

let env: LinegroupEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.stop();
});

const LIMITS = { a: { maxConcurrent: 3, cps: 6 }, b: { maxConcurrent: 2, cps: 4 } } as const;
const PREFIX_CPS = 3; // group-wide for destinations starting 99

/** The most slots taken in any 1000 ms of Redis time (the script's window: scores in (now - 1000, now]). */
function peakPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((x, y) => x - y);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] ?? 0) - (sorted[j] ?? 0) >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

/** Takes a slot or returns undefined when no line is free (LINEGROUP_NO_LINE). */
async function take(resolver: LinegroupResolver, dialString: string): Promise<LineLease | undefined> {
  try {
    return (await resolver.resolveLinegroupDialString(dialString)).lease;
  } catch (error) {
    if (!isFreectiError(error, 'LINEGROUP_NO_LINE')) throw error;
    return undefined;
  }
}

it('per-second and per-prefix limits hold under concurrent load from two instances, and are reached', async () => {
  const prefix = uniquePrefix();
  const instances = [env.resolver(prefix), env.resolver(prefix)];
  await putGroup(instances[0]!, 'load', {
    strategy: 'random',
    prefixCps: { '99': PREFIX_CPS },
    lines: [
      { id: 'a', gateway: 'gw-a', ...LIMITS.a },
      { id: 'b', gateway: 'gw-b', ...LIMITS.b },
    ],
  });
  const inFlight = { a: 0, b: 0 };
  const maxInFlight = { a: 0, b: 0 };
  const taken: Record<'a' | 'b' | '99', number[]> = { a: [], b: [], '99': [] };
  let refused = 0;
  const worker = async (resolver: LinegroupResolver, w: number): Promise<void> => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const number = w % 3 === 0 ? `99${w}` : `55${w}`;
      const lease = await take(resolver, `linegroup/load/${number}`);
      if (lease === undefined) {
        refused++;
        continue;
      }
      const line = lease.line as 'a' | 'b';
      inFlight[line]++;
      maxInFlight[line] = Math.max(maxInFlight[line], inFlight[line]);
      taken[line].push(lease.takenAt);
      if (number.startsWith('99')) taken['99'].push(lease.takenAt);
      // Hold the slot while the other workers try (a turn of the event loop, not a timer).
      await new Promise((resolve) => setImmediate(resolve));
      inFlight[line]--;
      await resolver.release(lease, { answered: true });
    }
  };
  await Promise.all(instances.flatMap((resolver, i) => Array.from({ length: 8 }, (_, w) => worker(resolver, i * 8 + w))));

  assert.ok(refused > 0, 'the load exceeded the limits');
  for (const line of ['a', 'b'] as const) {
    assert.ok(maxInFlight[line] <= LIMITS[line].maxConcurrent, `line ${line}: ${maxInFlight[line]} concurrent > ${LIMITS[line].maxConcurrent}`);
  }
  // Never above the limit in any second of Redis time, and reached (so the check could fail).
  assert.equal(peakPerSecond(taken.a), LIMITS.a.cps, 'line a per second');
  assert.equal(peakPerSecond(taken.b), LIMITS.b.cps, 'line b per second');
  assert.equal(peakPerSecond(taken['99']), PREFIX_CPS, 'prefix 99 per second');

  const status = await instances[1]!.slots.status('load', (await instances[1]!.store.get('load')).lines);
  assert.deepEqual(status.map((s) => s.active), [0, 0], 'every slot given back');
});

it('concurrency limits hold under load from two instances (no CPS limit), reached and never exceeded', async () => {
  const prefix = uniquePrefix();
  const instances = [env.resolver(prefix), env.resolver(prefix)];
  await putGroup(instances[0]!, 'busy', {
    strategy: 'least-busy',
    lines: [
      { id: 'a', gateway: 'gw-a', maxConcurrent: 3 },
      { id: 'b', gateway: 'gw-b', maxConcurrent: 2 },
    ],
  });
  for (let round = 0; round < 3; round++) {
    // Twelve attempts at once from two instances, every slot held: exactly the five slots go.
    const leases = await Promise.all(instances.flatMap((resolver) => Array.from({ length: 6 }, () => take(resolver, 'linegroup/busy/1234'))));
    const held = leases.filter((lease): lease is LineLease => lease !== undefined);
    const perLine = { a: held.filter((l) => l.line === 'a').length, b: held.filter((l) => l.line === 'b').length };
    assert.deepEqual(perLine, { a: 3, b: 2 }, `round ${round}: reached and never exceeded`);
    assert.equal(leases.length - held.length, 7, 'the others refused');
    await Promise.all(held.map((lease, i) => instances[i % 2]!.release(lease, { answered: true })));
  }
  const status = await instances[0]!.slots.status('busy', (await instances[0]!.store.get('busy')).lines);
  assert.deepEqual(status.map((s) => s.active), [0, 0], 'every slot given back');
});
