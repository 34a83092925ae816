/**
 * Two independent "instances" (own ioredis client, own resolver) hammer one group at
 * once. The limits must hold across both: concurrent calls per line never above
 * maxConcurrent, calls taken per second (Redis clock) never above cps, per line and per
 * destination prefix. The load is chosen so that every limit is actually reached.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { isFreectiError } from '../../src/errors.js';
import type { LinegroupResolver } from '../../src/linegroups/resolver.js';
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

it('limits hold under concurrent load from two instances', async () => {
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
  const perSecond = new Map<string, number>();
  const count = (key: string): void => {
    perSecond.set(key, (perSecond.get(key) ?? 0) + 1);
  };
  let refused = 0;
  const deadline = Date.now() + 2500;

  const worker = async (resolver: LinegroupResolver, w: number): Promise<void> => {
    while (Date.now() < deadline) {
      const number = w % 3 === 0 ? `99${w}` : `55${w}`;
      let lease;
      try {
        ({ lease } = await resolver.resolveLinegroupDialString(`linegroup/load/${number}`));
      } catch (error) {
        if (!isFreectiError(error, 'LINEGROUP_NO_LINE')) throw error;
        refused++;
        await sleep(3);
        continue;
      }
      const line = lease.line as 'a' | 'b';
      inFlight[line]++;
      maxInFlight[line] = Math.max(maxInFlight[line], inFlight[line]);
      const second = Math.floor(lease.takenAt / 1000);
      count(`${line}@${second}`);
      if (number.startsWith('99')) count(`99@${second}`);
      await sleep(20 + (w % 5) * 10);
      inFlight[line]--;
      await resolver.release(lease, { answered: true });
    }
  };
  await Promise.all(instances.flatMap((resolver, i) => Array.from({ length: 8 }, (_, w) => worker(resolver, i * 8 + w))));

  assert.ok(refused > 0, 'the load exceeded the limits at some point');
  for (const line of ['a', 'b'] as const) {
    assert.ok(maxInFlight[line] <= LIMITS[line].maxConcurrent, `line ${line}: ${maxInFlight[line]} concurrent > ${LIMITS[line].maxConcurrent}`);
  }
  const peaks: Record<string, number> = {};
  for (const [key, n] of perSecond) {
    const what = key.split('@')[0]!;
    peaks[what] = Math.max(peaks[what] ?? 0, n);
    const limit = what === '99' ? PREFIX_CPS : LIMITS[what as 'a' | 'b'].cps;
    assert.ok(n <= limit, `${key}: ${n} calls in one second > ${limit}`);
  }
  // The limits were reached (so the assertions above could have failed).
  assert.equal(peaks['a'], LIMITS.a.cps);
  assert.equal(peaks['b'], LIMITS.b.cps);
  assert.equal(peaks['99'], PREFIX_CPS);

  const status = await instances[1]!.slots.status('load', (await instances[1]!.store.get('load')).lines);
  assert.deepEqual(status.map((s) => s.active), [0, 0], 'every slot given back');
});

it('concurrency limits hold under load from two instances (no CPS limit)', async () => {
  const prefix = uniquePrefix();
  const instances = [env.resolver(prefix), env.resolver(prefix)];
  await putGroup(instances[0]!, 'busy', {
    strategy: 'least-busy',
    lines: [
      { id: 'a', gateway: 'gw-a', maxConcurrent: 3 },
      { id: 'b', gateway: 'gw-b', maxConcurrent: 2 },
    ],
  });
  const inFlight = { a: 0, b: 0 };
  const maxInFlight = { a: 0, b: 0 };
  let refused = 0;
  let calls = 0;
  const deadline = Date.now() + 1200;
  const worker = async (resolver: LinegroupResolver): Promise<void> => {
    while (Date.now() < deadline) {
      let lease;
      try {
        ({ lease } = await resolver.resolveLinegroupDialString('linegroup/busy/1234'));
      } catch (error) {
        if (!isFreectiError(error, 'LINEGROUP_NO_LINE')) throw error;
        refused++;
        await sleep(2);
        continue;
      }
      const line = lease.line as 'a' | 'b';
      calls++;
      inFlight[line]++;
      maxInFlight[line] = Math.max(maxInFlight[line], inFlight[line]);
      await sleep(15);
      inFlight[line]--;
      await resolver.release(lease, { answered: true });
    }
  };
  await Promise.all(instances.flatMap((resolver) => Array.from({ length: 6 }, () => worker(resolver))));
  assert.ok(refused > 0 && calls > 20, `load: ${calls} calls, ${refused} refusals`);
  assert.deepEqual(maxInFlight, { a: 3, b: 2 }, 'reached and never exceeded');
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
