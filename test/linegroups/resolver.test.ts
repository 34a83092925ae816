import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isFreectiError } from '../../src/errors.js';
import { Keys } from '../../src/keys.js';
import { dialWithFailover } from '../../src/linegroups/failover.js';
import type { LineLease } from '../../src/linegroups/resolver.js';
import { startEnv, putGroup, uniquePrefix, type LinegroupEnv } from './setup.js';

let env: LinegroupEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.stop();
});

const three = [
  { id: 'a', gateway: 'gw-a', priority: 2 },
  { id: 'b', gateway: 'gw-b', priority: 1 },
  { id: 'c', gateway: 'gw-c', priority: 3 },
];

async function lineOf(resolver: ReturnType<LinegroupEnv['resolver']>, dial = 'linegroup/g/5551234'): Promise<string> {
  const { lease } = await resolver.resolveLinegroupDialString(dial);
  await resolver.release(lease, { answered: true });
  return lease.line;
}

describe('linegroup dial strings', () => {
  it('builds sofia/gateway/<gw>/<number> with the caller blocks and the line variables', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', {
      lines: [{ id: 'l1', gateway: 'carrier1', stripDigits: 1, addPrefix: '0049', variables: { sip_h_X_Account: 'acc,1', absolute_codec_string: 'PCMA' } }],
    });
    const { dialString, lease } = await r.resolveLinegroupDialString('{origination_caller_id_number=1001}[leg_var=1]linegroup/g/05551234', { callUuid: 'u1' });
    assert.equal(
      dialString,
      `{origination_caller_id_number=1001}[leg_var=1,freecti_linegroup=g,freecti_line=l1,freecti_lease=${lease.id},sip_h_X_Account=acc\\,1,absolute_codec_string=PCMA]sofia/gateway/carrier1/00495551234`,
    );
    assert.deepEqual({ group: lease.group, line: lease.line, gateway: lease.gateway, number: lease.number }, { group: 'g', line: 'l1', gateway: 'carrier1', number: '05551234' });
    await r.release(lease);
  });

  it('refuses malformed and injected dial strings, unknown groups', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { lines: [{ id: 'l1', gateway: 'gw' }] });
    for (const bad of ['linegroup/g/55a5', 'linegroup/g/5555/x', 'linegroup/g/${system(id)}', 'linegroup/g:x/5555', 'user/1000', '{a=${x}}linegroup/g/1']) {
      await assert.rejects(r.resolveLinegroupDialString(bad), (e) => isFreectiError(e, 'LINEGROUP_DIAL_STRING'), bad);
    }
    await assert.rejects(r.resolveLinegroupDialString('linegroup/nosuch/5555'), (e) => isFreectiError(e, 'LINEGROUP_NOT_FOUND'));
  });
});

describe('strategies', () => {
  it('priority: lowest priority first, the next one only when it is full', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { strategy: 'priority', lines: three.map((l) => ({ ...l, maxConcurrent: 1 })) });
    const held = [];
    for (let i = 0; i < 3; i++) held.push((await r.resolveLinegroupDialString('linegroup/g/1')).lease);
    assert.deepEqual(held.map((l) => l.line), ['b', 'a', 'c']);
    for (const lease of held) await r.release(lease, { answered: true });
    assert.equal(await lineOf(r), 'b');
  });

  it('round-robin: rotates across calls, shared by two instances', async () => {
    const prefix = uniquePrefix();
    const r1 = env.resolver(prefix);
    const r2 = env.resolver(prefix);
    await putGroup(r1, 'g', { strategy: 'round-robin', lines: three });
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(await lineOf(i % 2 === 0 ? r1 : r2));
    assert.deepEqual(seen, ['b', 'a', 'c', 'b', 'a', 'c']);
  });

  it('least-busy: the line with the fewest calls in progress', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { strategy: 'least-busy', lines: three });
    const held = [];
    // b first (priority tie-break), then a, then c, then b again, then a...
    for (let i = 0; i < 5; i++) held.push((await r.resolveLinegroupDialString('linegroup/g/1')).lease);
    assert.deepEqual(held.map((l) => l.line), ['b', 'a', 'c', 'b', 'a']);
    await r.release(held[0]!);
    await r.release(held[3]!);
    assert.equal((await r.resolveLinegroupDialString('linegroup/g/1')).lease.line, 'b');
  });

  it('random: a Fisher-Yates shuffle of the source; every line gets calls', async () => {
    const values = [0.99, 0.0];
    let i = 0;
    const r = env.resolver(uniquePrefix(), () => values[i++ % values.length]!);
    await putGroup(r, 'g', { strategy: 'random', lines: three });
    // [b,a,c]: i=2 j=2 -> [b,a,c]; i=1 j=0 -> [a,b,c]
    assert.equal(await lineOf(r), 'a');
    const r2 = env.resolver(uniquePrefix());
    await putGroup(r2, 'g', { strategy: 'random', lines: three });
    const seen = new Set<string>();
    for (let n = 0; n < 30; n++) seen.add(await lineOf(r2));
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  });

  it('disabled lines are never chosen', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { lines: [{ id: 'a', gateway: 'gw', enabled: false }, { id: 'b', gateway: 'gw' }] });
    assert.equal(await lineOf(r), 'b');
  });
});

describe('limits', () => {
  it('a call that finds no line gets LINEGROUP_NO_LINE with NORMAL_CIRCUIT_CONGESTION and every reason', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { lines: [{ id: 'a', gateway: 'gw', maxConcurrent: 1 }, { id: 'b', gateway: 'gw', cps: 1 }] });
    const first = await r.resolveLinegroupDialString('linegroup/g/1');
    const second = await r.resolveLinegroupDialString('linegroup/g/1');
    assert.deepEqual([first.lease.line, second.lease.line], ['a', 'b']);
    await r.release(second.lease);
    await assert.rejects(r.resolveLinegroupDialString('linegroup/g/1'), (e) => {
      assert.ok(isFreectiError(e, 'LINEGROUP_NO_LINE'));
      assert.equal(e.status, 503);
      assert.deepEqual(e.details, {
        group: 'g',
        number: '1',
        cause: 'NORMAL_CIRCUIT_CONGESTION',
        refusals: [
          { line: 'a', reason: 'concurrency' },
          { line: 'b', reason: 'cps' },
        ],
      });
      return true;
    });
    await r.release(first.lease);
    assert.equal(await lineOf(r), 'a');
  });

  it('per-destination-prefix CPS: the longest matching prefix of the line, then of the group', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', {
      prefixCps: { '44': 2 },
      lines: [
        { id: 'a', gateway: 'gw', prefixCps: { '8': 100, '861': 1 } },
        { id: 'b', gateway: 'gw' },
      ],
    });
    const leases: LineLease[] = [];
    const take = async (n: string): Promise<string> => {
      const { lease } = await r.resolveLinegroupDialString(`linegroup/g/${n}`);
      leases.push(lease);
      return lease.line;
    };
    assert.equal(await take('8610001'), 'a');
    assert.equal(await take('8610002'), 'b'); // line a: prefix 861 at 1/s
    assert.equal(await take('8520001'), 'a'); // prefix 8 (100/s) still open on a
    assert.equal(await take('4401'), 'a');
    assert.equal(await take('4402'), 'a');
    await assert.rejects(take('4403'), (e) => isFreectiError(e, 'LINEGROUP_NO_LINE') && JSON.stringify(e.details).includes('group-prefix-cps'));
    assert.equal(await take('4501'), 'a'); // other destinations unaffected
    for (const lease of leases) await r.release(lease);
  });
});

describe('quarantine and recovery', () => {
  it('N line failures in a row quarantine a line; it returns after the period, half-open', async () => {
    const prefix = uniquePrefix();
    const r = env.resolver(prefix);
    const redis = env.client();
    const state = new Keys(prefix).line('g', 'a').state;
    const redisNow = async (): Promise<number> => {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    /**
     * The quarantine period passes: the line's deadline (Redis TIME based, set by the
     * release script) is moved to just before Redis's now, instead of waiting it out.
     */
    const periodOver = async (): Promise<void> => {
      const until = Number(await redis.hget(state, 'quarantinedUntil'));
      const now = await redisNow();
      assert.ok(until > now && until <= now + 60_000, `quarantined until ${until - now} ms from now (period 60000 ms)`);
      await redis.hset(state, 'quarantinedUntil', String(now - 1));
    };
    await putGroup(r, 'g', { quarantine: { failures: 2, periodMs: 60_000 }, lines: [{ id: 'a', gateway: 'gw' }, { id: 'b', gateway: 'gw', priority: 200 }] });
    const fail = async (): Promise<string> => {
      const { lease } = await r.resolveLinegroupDialString('linegroup/g/1');
      const report = await r.release(lease, { sipCode: 503 });
      assert.equal(report.classification.verdict, 'line-failure');
      return lease.line;
    };
    assert.equal(await fail(), 'a');
    // a busy answer is the line working: the count restarts
    const busy = await r.resolveLinegroupDialString('linegroup/g/1');
    assert.equal((await r.release(busy.lease, { cause: 'USER_BUSY', sipCode: 486 })).release.failures, 0);
    assert.equal(await fail(), 'a');
    assert.equal(await fail(), 'a'); // second in a row: quarantined now
    let status = await r.slots.status('g', (await r.store.get('g')).lines);
    assert.equal(status[0]?.quarantined, true);
    assert.equal(await lineOf(r), 'b');
    assert.equal(await lineOf(r), 'b', 'still quarantined: the period has not passed');
    await periodOver();
    assert.equal(await fail(), 'a'); // back after the period; one failure re-quarantines (half-open)
    assert.equal(await lineOf(r), 'b');
    await periodOver();
    assert.equal(await lineOf(r), 'a'); // success closes the circuit
    status = await r.slots.status('g', (await r.store.get('g')).lines);
    assert.deepEqual(status.map((s) => [s.id, s.failures, s.quarantined, s.active]), [['a', 0, false, 0], ['b', 0, false, 0]]);
  });

  it('a lease released twice records its outcome once', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { quarantine: { failures: 2, periodMs: 10_000 }, lines: [{ id: 'a', gateway: 'gw', maxConcurrent: 1 }] });
    const { lease } = await r.resolveLinegroupDialString('linegroup/g/1');
    const first = await r.release(lease, { cause: 'NETWORK_OUT_OF_ORDER' });
    const second = await r.release(lease, { cause: 'NETWORK_OUT_OF_ORDER' });
    assert.deepEqual([first.release.released, first.release.failures], [true, 1]);
    assert.deepEqual([second.release.released, second.release.failures], [false, 1]);
    assert.equal(await lineOf(r), 'a'); // slot free exactly once, not quarantined
  });
});

describe('failover', () => {
  it('fails over on a line failure, stops on an answer', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { maxAttempts: 3, lines: three });
    const dialed: string[] = [];
    const outcome = await dialWithFailover(r, 'linegroup/g/5551234', async ({ dialString }) => {
      dialed.push(dialString.replace(/^.*\]/, ''));
      return dialed.length === 1 ? { cause: 'NORMAL_TEMPORARY_FAILURE', sipCode: 503 } : { answered: true };
    });
    assert.deepEqual(dialed, ['sofia/gateway/gw-b/5551234', 'sofia/gateway/gw-a/5551234']);
    assert.equal(outcome.final.verdict, 'answered');
    assert.deepEqual(outcome.attempts.map((a) => a.classification.verdict), ['line-failure', 'answered']);
  });

  it('does not fail over on busy or decline; gives up after maxAttempts', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { maxAttempts: 2, lines: three });
    const busy = await dialWithFailover(r, 'linegroup/g/1', async () => ({ cause: 'USER_BUSY', sipCode: 486 }));
    assert.equal(busy.attempts.length, 1);
    assert.equal(busy.final.cause, 'USER_BUSY');
    const decline = await dialWithFailover(r, 'linegroup/g/1', async () => ({ cause: 'CALL_REJECTED', sipCode: 603 }));
    assert.equal(decline.attempts.length, 1);
    const down = await dialWithFailover(r, 'linegroup/g/1', async () => ({ cause: 'GATEWAY_DOWN' }));
    assert.deepEqual(down.attempts.map((a) => a.lease.line), ['b', 'a']);
    assert.equal(down.final.cause, 'GATEWAY_DOWN');
  });

  it('no line at all: noLine with NORMAL_CIRCUIT_CONGESTION; dial never called', async () => {
    const r = env.resolver(uniquePrefix());
    await putGroup(r, 'g', { lines: [{ id: 'a', gateway: 'gw', maxConcurrent: 1 }] });
    const held = await r.resolveLinegroupDialString('linegroup/g/1');
    let called = 0;
    const outcome = await dialWithFailover(r, 'linegroup/g/1', async () => {
      called++;
      return { answered: true };
    });
    assert.deepEqual([outcome.noLine, outcome.final.cause, called], [true, 'NORMAL_CIRCUIT_CONGESTION', 0]);
    await r.release(held.lease);
  });
});
