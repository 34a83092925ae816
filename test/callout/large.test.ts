/**
 * nwaycallout at size, on the real Redis: a campaign of 20,000 numbers (plus 5,000
 * appended while it runs) is stored as lists beside its record, read back page by page
 * with the cursor, taken over from a crashed runner (its ringing numbers end RUNNER_LOST,
 * none dialled twice) and stopped (every number never dialled ends cancelled, once).
 * Only a few numbers are dialled: the fake FreeSWITCH holds every originate's reply.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CalloutService } from '../../src/callout/campaign.js';
import type { CalloutResult } from '../../src/callout/schema.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { createWebhookClient } from '../../src/webhook/index.js';
import type { WebhookClient } from '../../src/webhook/types.js';
import { startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';
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

describe('nwaycallout with 20,000 numbers', () => {
  it('stores, appends, pages, takes over and stops without losing or repeating a number', async () => {
    const keys = new Keys(uniquePrefix('co-large'));
    const clock = new VirtualClock(5_000_000);
    const placed: { number: string; uuid: string; reply: (text: string) => void }[] = [];
    nodes.fakes[0]!.onApi('originate', (args) => new Promise<string>((resolve) => {
      placed.push({ number: /\/(\d+) 'set:/.exec(args)?.[1] ?? '?', uuid: /origination_uuid=([0-9a-f-]+)/.exec(args)?.[1] ?? '?', reply: resolve });
    }));
    nodes.fakes[0]!.onApi('uuid_kill', (args) => {
      const p = placed.find((x) => args.startsWith(x.uuid));
      p?.reply('-ERR ORIGINATOR_CANCEL\n');
      return p === undefined ? '-ERR No such channel!\n' : '+OK\n';
    });
    const make = (): CalloutService => new CalloutService({ redis: fixture.redis, keys, pool: nodes.pool, policy: new FsPolicy(), logger: createLogger('silent'), webhooks, socket: '127.0.0.1:8040', clock, pollMs: 200 });
    const numbers = Array.from({ length: 20_000 }, (_, i) => String(13_800_000_000 + i));
    const first = make();
    const started = await first.start({ numbers, group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 100, maxConcurrent: 5 });
    assert.equal(started.total, 20_000);
    await waitFor(() => placed.length === 5);

    // Stored beside the record, in its slot: the list holds every number in order.
    assert.equal(await fixture.redis.llen(keys.callout(started.id, 'numbers')), 20_000);
    assert.deepEqual(await fixture.redis.lrange(keys.callout(started.id, 'numbers'), 19_998, 19_999), numbers.slice(19_998));
    const appended = Array.from({ length: 5_000 }, (_, i) => String(13_900_000_000 + i));
    assert.deepEqual(await first.append(started.id, { numbers: appended }), { total: 25_000, appended: 5_000 });
    await assert.rejects(first.append(started.id, { numbers: ['1x'] }), /numbers\.0/);
    const running = await first.get(started.id);
    assert.equal(running.total, 25_000);
    assert.equal(running.next, 5);
    assert.deepEqual(Object.keys(running.dialing).sort(), ['0', '1', '2', '3', '4']);
    assert.deepEqual([running.resultCount, running.results, running.nextCursor], [0, [], '0'], 'while it runs, the cursor stays usable at the end of the list');

    // The first runner "crashes" (its lease expires); another instance takes over.
    await fixture.redis.del(keys.callout(started.id, 'runner'));
    const second = make();
    assert.equal(await second.sweep(), 1);
    await waitFor(() => placed.length === 10);
    const crashed = placed.slice(0, 5);
    for (const p of crashed) p.reply(`+OK ${p.uuid}\n`); // the crashed runner's late answers write nothing
    await first.idle();
    await second.stop(started.id);
    await second.idle();

    // Page through every outcome with the cursor.
    const results: CalloutResult[] = [];
    let cursor: string | null = '0';
    let pages = 0;
    while (cursor !== null) {
      const page = await second.get(started.id, { cursor, limit: 1000 });
      results.push(...page.results);
      cursor = page.nextCursor;
      pages += 1;
      assert.ok(pages <= 26, 'the cursor ends');
    }
    const final = await second.get(started.id, { limit: 1 });
    assert.equal(final.state, 'stopped');
    assert.equal(final.resultCount, 25_000);
    assert.deepEqual(final.counts, { answered: 0, busy: 0, 'no-answer': 0, failed: 5, cancelled: 24_995 });
    assert.equal(results.length, 25_000);
    assert.deepEqual(results.map((r) => r.number).sort(), [...numbers, ...appended].sort(), 'every number has exactly one outcome');
    assert.deepEqual(results.slice(0, 5).map((r) => [r.number, r.outcome, r.cause]), numbers.slice(0, 5).map((n) => [n, 'failed', 'RUNNER_LOST']));
    assert.deepEqual(results.slice(0, 5).map((r) => r.uuid), crashed.map((p) => p.uuid));
    assert.deepEqual(results.slice(5, 10).map((r) => r.outcome), Array(5).fill('cancelled'), 'the new runner\'s ringing calls were hung up');
    const { at, ...last } = results.at(-1)!;
    assert.deepEqual(last, { number: appended.at(-1), outcome: 'cancelled', uuid: '' }, 'appended numbers come last');
    assert.ok(at >= 5_000_000 && at <= clock.now());
    assert.equal(new Set(placed.map((p) => p.number)).size, placed.length, 'no number dialled twice');
    assert.deepEqual(placed.map((p) => p.number), numbers.slice(0, 10));
    await assert.rejects(second.append(started.id, { numbers: ['1'] }), (e: Error & { key?: string }) => e.key === 'CALLOUT_NOT_RUNNING');
    await assert.rejects(second.get(started.id, { cursor: 'x' }), /cursor/);
    await assert.rejects(second.get(started.id, { limit: 1001 }), /limit/);
  });
});
