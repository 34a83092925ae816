/**
 * nwaycallout campaigns against real Redis and a fake FreeSWITCH over TCP (inbound): the
 * originate replies are the recorded ones (esl-acd observation 7: `+OK <uuid>` once the
 * callee answered, `-ERR USER_BUSY`, `-ERR NO_ANSWER`, `-ERR NORMAL_TEMPORARY_FAILURE`).
 * Pacing is checked on a virtual clock: each originate's time on that clock is recorded by
 * the fake, nothing waits for real time.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CalloutService, outcomeOf } from '../../src/callout/campaign.js';
import { calloutOriginateArgs } from '../../src/callout/commands.js';
import { FsPolicy, PolicyRefusal } from '../../src/fs-lang/policy.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { createWebhookClient } from '../../src/webhook/index.js';
import { verifySignature } from '../../src/webhook/signature.js';
import type { WebhookClient } from '../../src/webhook/types.js';
import { startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { VirtualClock } from './virtual-clock.js';

const SOCKET = '127.0.0.1:8040';
const SECRET = 'callout-secret-1234';

interface Placed {
  args: string;
  number: string;
  uuid: string;
  at: number;
  reply: (text: string) => void;
}

/** The fake's originate: records each one (with the virtual time) and holds its reply until the test gives it. */
function scriptOriginate(nodes: FakeNodes, clock: VirtualClock, onPlaced: (placed: Placed, pending: Placed[]) => void): { placed: Placed[]; pending: Placed[]; maxPending: () => number } {
  const placed: Placed[] = [];
  const pending: Placed[] = [];
  let max = 0;
  nodes.fakes[0]!.onApi('originate', (args) => new Promise<string>((resolve) => {
    const number = /\/(\+?[0-9*#]+) 'set:/.exec(args)?.[1] ?? '?';
    const uuid = /origination_uuid=([0-9a-f-]+)/.exec(args)?.[1] ?? '?';
    const p: Placed = {
      args,
      number,
      uuid,
      at: clock.now(),
      reply: (text) => {
        pending.splice(pending.indexOf(p), 1);
        resolve(text);
      },
    };
    placed.push(p);
    pending.push(p);
    max = Math.max(max, pending.length);
    onPlaced(p, pending);
  }));
  nodes.fakes[0]!.onApi('uuid_kill', (args) => {
    const p = pending.find((x) => args.startsWith(x.uuid));
    if (p === undefined) return '-ERR No such channel!\n';
    p.reply('-ERR ORIGINATOR_CANCEL\n');
    return '+OK\n';
  });
  return { placed, pending, maxPending: () => max };
}

/** The recorded reply for a number by its last digit: 0 answered, 1 busy, 2 no answer, 3 failure. */
function recorded(p: Placed): string {
  const last = p.number.at(-1);
  if (last === '1') return '-ERR USER_BUSY\n';
  if (last === '2') return '-ERR NO_ANSWER\n';
  if (last === '3') return '-ERR NORMAL_TEMPORARY_FAILURE\n';
  return `+OK ${p.uuid}\n`;
}

const fixture = useRedis();
let nodes: FakeNodes;
let hooks: Server;
let hookUrl: string;
const received: { body: Record<string, unknown>; verified: boolean }[] = [];
let webhooks: WebhookClient;

before(async () => {
  nodes = await startFakeNodes('fs1');
  hooks = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const verified = verifySignature({ secret: SECRET, payload: text, timestamp: String(req.headers['x-freecti-timestamp'] ?? ''), signature: String(req.headers['x-freecti-signature'] ?? '') });
      received.push({ body: JSON.parse(text) as Record<string, unknown>, verified });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/events`;
  webhooks = createWebhookClient({ logger: createLogger('silent') });
});

after(async () => {
  await webhooks.close();
  await nodes.close();
  await new Promise((resolve) => hooks.close(resolve));
});

function service(keys: Keys, clock: VirtualClock, resolver?: LinegroupResolver): CalloutService {
  return new CalloutService({
    redis: fixture.redis,
    keys,
    pool: nodes.pool,
    policy: new FsPolicy(),
    logger: createLogger('silent'),
    webhooks,
    socket: SOCKET,
    clock,
    pollMs: 200,
    ...(resolver === undefined ? {} : { resolver }),
  });
}

describe('nwaycallout campaigns', () => {
  it('dials at ratePerSec with at most maxConcurrent at once, hands answered calls to the group, reports each outcome', async () => {
    const clock = new VirtualClock();
    const keys = new Keys(uniquePrefix('co'));
    const numbers = ['5550', '5551', '5552', '5553', '5560', '5561'];
    const fake = scriptOriginate(nodes, clock, (_p, pending) => {
      // Replies are held until maxConcurrent (2) calls ring at once (fewer at the end of the list).
      const answered = fake.placed.length - pending.length;
      if (pending.length === Math.min(2, numbers.length - answered)) for (const p of [...pending]) p.reply(recorded(p));
    });
    const callouts = service(keys, clock);
    const before = received.length;
    const started = await callouts.start({ numbers, group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 2, maxConcurrent: 2, ringSec: 25, eventUrl: hookUrl, eventSecret: SECRET });
    await callouts.idle();

    assert.deepEqual(fake.placed.map((p) => p.number), numbers);
    assert.equal(fake.maxPending(), 2, 'never more than maxConcurrent ringing, and the limit was reached');
    const first = fake.placed[0]!;
    assert.equal(
      first.args,
      `{origination_uuid=${first.uuid},origination_caller_id_number=4000,originate_timeout=25,ignore_early_media=true,freecti_callout=${started.id},freecti_callout_number=5550}sofia/gateway/gw1/5550 'set:nacd_group=120,socket:${SOCKET} async full' inline`,
    );

    const stored = await callouts.get(started.id);
    assert.equal(stored.state, 'done');
    assert.deepEqual(stored.dialing, {});
    // Pacing on the injected clock: each number dialled at least 1/ratePerSec after the one before, and no later than the fake saw it.
    const dialled = numbers.map((n) => stored.results.find((r) => r.number === n)?.dialledAt ?? NaN);
    for (let i = 1; i < dialled.length; i += 1) assert.ok(dialled[i]! - dialled[i - 1]! >= 500, `number ${i} dialled ${dialled[i]! - dialled[i - 1]!} ms after the one before`);
    for (const [i, p] of fake.placed.entries()) assert.ok(p.at >= dialled[i]!, 'the originate reached FreeSWITCH after it was dialled');
    const byNumber: Record<string, [string, string]> = Object.fromEntries(stored.results.map((r) => [r.number, [r.outcome, r.cause ?? '']] as const));
    assert.deepEqual(byNumber, {
      5550: ['answered', ''],
      5551: ['busy', 'USER_BUSY'],
      5552: ['no-answer', 'NO_ANSWER'],
      5553: ['failed', 'NORMAL_TEMPORARY_FAILURE'],
      5560: ['answered', ''],
      5561: ['busy', 'USER_BUSY'],
    });
    // Read back from Redis by another instance's service: the same state.
    const other = service(keys, new VirtualClock());
    assert.deepEqual((await other.get(started.id)).results, stored.results);

    await waitFor(() => received.length - before === numbers.length + 2);
    const events = received.slice(before);
    assert.ok(events.every((e) => e.verified), 'every event is signed with eventSecret');
    assert.deepEqual(events.filter((e) => e.body.event === 'callout_result').map((e) => [e.body.number, e.body.outcome]).sort(), numbers.map((n) => [n, byNumber[n]![0]]).sort());
    const done = events.find((e) => e.body.event === 'callout_done');
    assert.deepEqual(done?.body, { campaign_id: started.id, event: 'callout_done', state: 'done', results: 6, counts: { answered: 2, busy: 2, 'no-answer': 1, failed: 1, cancelled: 0 } });
    assert.deepEqual(events.find((e) => e.body.event === 'callout_started')?.body, { campaign_id: started.id, event: 'callout_started', total: 6 });
    assert.equal(await fixture.redis.sismember(keys.internal('callouts'), started.id), 0);
  });

  it('takes each call a line slot of the line group; a refused slot waits and retries; slots are given back', async () => {
    const clock = new VirtualClock();
    const prefix = uniquePrefix('co');
    const keys = new Keys(prefix);
    const resolver = new LinegroupResolver({ redis: fixture.redis, keys, logger: createLogger('silent') });
    await resolver.store.put('out', { lines: [{ id: 'l1', gateway: 'carrier1', maxConcurrent: 1 }] });
    const numbers = ['7771', '7772', '7773', '7781'];
    const fake = scriptOriginate(nodes, clock, (p) => p.reply(recorded(p)));
    const callouts = service(keys, clock, resolver);
    const started = await callouts.start({ numbers, queue: 'support', linegroup: 'out', callerId: '4000', ratePerSec: 10, maxConcurrent: 3 });
    await callouts.idle();

    assert.deepEqual(fake.placed.map((p) => p.number), numbers, 'every number dialled once, in order, though the line refused while busy');
    assert.equal(fake.maxPending(), 1, 'the line (maxConcurrent 1) bounds the campaign (maxConcurrent 3)');
    assert.match(fake.placed[0]!.args, /sofia\/gateway\/carrier1\/7771 'set:freecti_queue=support,socket:127\.0\.0\.1:8040 async full' inline$/);
    assert.match(fake.placed[0]!.args, /freecti_linegroup=out,freecti_line=l1,freecti_lease=/);
    assert.deepEqual((await callouts.get(started.id)).results.map((r) => r.outcome), ['busy', 'no-answer', 'failed', 'busy']);
    assert.equal(resolver.heldCount, 0);
    assert.deepEqual((await resolver.slots.status('out', (await resolver.store.get('out')).lines)).map((s) => s.active), [0]);
    resolver.stopRenewing();
  });

  it('DELETE-style stop: ringing calls are hung up, numbers not dialled end cancelled', async () => {
    const clock = new VirtualClock();
    const keys = new Keys(uniquePrefix('co'));
    const fake = scriptOriginate(nodes, clock, () => undefined); // nobody answers: calls ring until stopped
    const callouts = service(keys, clock);
    const started = await callouts.start({ numbers: ['1', '2', '3', '4'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 5, maxConcurrent: 2 });
    await waitFor(() => fake.pending.length === 2);
    await callouts.stop(started.id);
    await callouts.idle();
    const stored = await callouts.get(started.id);
    assert.equal(stored.state, 'stopped');
    assert.deepEqual(stored.results.map((r) => [r.number, r.outcome]).sort(), [['1', 'cancelled'], ['2', 'cancelled'], ['3', 'cancelled'], ['4', 'cancelled']]);
    assert.equal(fake.placed.length, 2, 'numbers 3 and 4 were never dialled');
  });

  it('a runner that lost its lease (crashed) is taken over by another instance; its ringing number ends RUNNER_LOST', async () => {
    const clock = new VirtualClock();
    const keys = new Keys(uniquePrefix('co'));
    const fake = scriptOriginate(nodes, clock, (p) => {
      if (p.number !== '10') p.reply(recorded(p)); // the first instance's call hangs (its instance "crashed")
    });
    const first = service(keys, clock);
    const started = await first.start({ numbers: ['10', '11', '20'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 5, maxConcurrent: 1 });
    await waitFor(() => fake.pending.length === 1);
    await fixture.redis.del(keys.callout(started.id, 'runner')); // its lease expired
    const second = service(keys, clock);
    assert.equal(await second.sweep(), 1);
    await second.idle();
    fake.pending[0]?.reply('+OK late\n'); // the crashed runner's late answer is not written over the new runner's state
    await first.idle();
    const stored = await second.get(started.id);
    assert.equal(stored.state, 'done');
    assert.deepEqual(stored.results.map((r) => [r.number, r.outcome, r.cause ?? '']), [['10', 'failed', 'RUNNER_LOST'], ['11', 'busy', 'USER_BUSY'], ['20', 'answered', '']]);
    assert.deepEqual(fake.placed.map((p) => p.number), ['10', '11', '20'], 'no number dialled twice');
    assert.equal(await second.sweep(), 0);
  });

  it('an instance that shuts down lets its campaign go at once, even in a long pacing wait; another instance goes on with it', async () => {
    const keys = new Keys(uniquePrefix('co'));
    const clock = new VirtualClock();
    const fake = scriptOriginate(nodes, clock, (p) => p.reply(recorded(p)));
    // The real clock: the next number is 100 s away when the instance shuts down.
    const first = new CalloutService({ redis: fixture.redis, keys, pool: nodes.pool, policy: new FsPolicy(), logger: createLogger('silent'), webhooks, socket: SOCKET });
    const started = await first.start({ numbers: ['31', '32'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 0.01, maxConcurrent: 1 });
    await waitFor(async () => (await first.get(started.id)).results.length === 1);
    await first.close();
    assert.equal(await fixture.redis.get(keys.callout(started.id, 'runner')), null, 'the runner lease is released');
    const second = service(keys, clock);
    assert.equal(await second.sweep(), 1);
    await second.idle();
    const stored = await second.get(started.id);
    assert.equal(stored.state, 'done');
    assert.deepEqual(stored.results.map((r) => [r.number, r.outcome]), [['31', 'busy'], ['32', 'no-answer']]);
    assert.deepEqual(fake.placed.map((p) => p.number), ['31', '32']);
  });

  it('refuses bad campaigns with a clear error', async () => {
    const callouts = service(new Keys(uniquePrefix('co')), new VirtualClock());
    const base = { numbers: ['1'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 1, maxConcurrent: 1 };
    for (const [body, why] of [
      [{ ...base, queue: 'q' }, /exactly one of group or queue/],
      [{ ...base, linegroup: 'lg' }, /exactly one of linegroup or gateway/],
      [{ ...base, numbers: ['1${system(x)}'] }, /numbers\.0/],
      [{ ...base, group: '120,socket:evil' }, /group/],
      [{ ...base, ratePerSec: 0 }, /ratePerSec/],
      [{ ...base, numbers: [] }, /numbers/],
      [{ ...base, numbers: Array.from({ length: 100_001 }, (_, i) => String(i)) }, /numbers/],
    ] as const) {
      await assert.rejects(callouts.start(body), (e: Error) => why.test(e.message), JSON.stringify(body));
    }
    await assert.rejects(callouts.start({ ...base, gateway: undefined, linegroup: 'lg' }), /line groups are not available/);
    await assert.rejects(callouts.get('nope'), /no callout campaign/);
  });

  it('the socket hand-off (fs-lang/handoff.ts) passes the policy only in the form this module builds', () => {
    const policy = new FsPolicy();
    const request = { numbers: ['1'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 1, maxConcurrent: 1, ringSec: 30 };
    const args = calloutOriginateArgs(policy, 'c1', request, '1b4e28ba-2fa1-11d2-883f-0016d3cca427', '1', 'sofia/gateway/gw1/1', SOCKET);
    // The same text from a /cli key (outbound, originate allowed) is refused: `socket` is no table application.
    assert.throws(() => policy.command('originate', args, { outbound: true, command: () => true }), (e) => e instanceof PolicyRefusal && /socket/.test(e.message));
    assert.throws(() => calloutOriginateArgs(policy, 'c1', request, 'u', '1', 'sofia/gateway/gw1/1', '1.2.3.4:80 async'), /not host:port/);
    assert.equal(outcomeOf('USER_BUSY'), 'busy');
    assert.equal(outcomeOf('NO_USER_RESPONSE'), 'no-answer');
    assert.equal(outcomeOf('CALL_REJECTED'), 'failed');
  });
});
