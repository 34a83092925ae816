import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreectiError } from '../../src/errors.js';
import { EslEvent } from '../../src/esl/event.js';
import { matches, parseFilter } from '../../src/event-stream/filter.js';
import { EventHub, SLOW_CONSUMER, type StreamSocket } from '../../src/event-stream/hub.js';
import { createLogger } from '../../src/logger.js';
import type { InboundClient } from '../../src/esl/inbound-client.js';
import { startFakeNodes } from '../cli-http/helpers.js';
import type { FakeFreeSwitch } from '../fake-freeswitch/index.js';

class FakeSocket implements StreamSocket {
  bufferedAmount = 0;
  readyState = 1;
  sent: string[] = [];
  closed: { code: number; reason: string } | undefined;
  terminated = false;
  private closeListeners: (() => void)[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
    for (const l of this.closeListeners.splice(0)) l();
  }
  once(_event: 'close', listener: () => void): this {
    this.closeListeners.push(listener);
    return this;
  }
}

const answer = (uuid: string, number: string) =>
  new EslEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': uuid, 'Caller-Caller-ID-Number': number, 'Event-Date-Timestamp': '1795000000000000' });
const register = new EslEvent({ 'Event-Subclass': 'sofia::register', 'Event-Name': 'CUSTOM', username: '1004', 'profile-name': 'internal' });
const heartbeat = new EslEvent({ 'Event-Name': 'HEARTBEAT' });

test('filters: by event name or subclass, by uuid (incl. other leg / job), by extension', () => {
  const f = parseFilter({ events: 'CHANNEL_ANSWER,sofia::register' });
  assert.equal(matches(f, answer('u1', '1000')), true);
  assert.equal(matches(f, register), true);
  assert.equal(matches(f, new EslEvent({ 'Event-Name': 'CHANNEL_HANGUP' })), false);
  assert.equal(matches(parseFilter({ uuid: 'u1' }), answer('u1', '1000')), true);
  assert.equal(matches(parseFilter({ uuid: 'u1' }), new EslEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'b', 'Other-Leg-Unique-ID': 'u1' })), true);
  assert.equal(matches(parseFilter({ uuid: 'j1' }), new EslEvent({ 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': 'j1' })), true);
  assert.equal(matches(parseFilter({ extension: '1004' }), register), true);
  assert.equal(matches(parseFilter({ extension: '1004' }), answer('u1', '1000')), false);
  assert.throws(() => parseFilter({ events: 'HEARTBEAT' }), (e: unknown) => e instanceof FreectiError && e.key === 'BAD_REQUEST');
  assert.throws(() => parseFilter({ uuid: 'a b' }), (e: unknown) => e instanceof FreectiError && e.key === 'BAD_REQUEST');
});

/** Resolves once `node` has received an event named `name` (events arrive in order over the one TCP connection). */
function received(node: InboundClient, name: string, uuid?: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: EslEvent): void => {
      if (event.name !== name || (uuid !== undefined && event.uuid !== uuid)) return;
      node.off('event', listener);
      resolve();
    };
    node.on('event', listener);
  });
}

/** Resolves once the fake applied the hub's subscription (its reply is queued: events sent now reach the node). */
async function hubSubscribed(fake: FakeFreeSwitch): Promise<void> {
  await fake.waitForCommand((c) => c.line.includes('sofia::register'));
  const register = { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'sofia::register' };
  for (let i = 0; ![...fake.connections].some((c) => c.subscription.accepts(register)); i++) {
    if (i > 1000) throw new Error('the hub never subscribed');
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('the hub subscribes on the first client, fans out matching streamable events, skips the rest', async (t) => {
  const nodes = await startFakeNodes('fs1');
  t.after(() => nodes.close());
  const [fake] = nodes.fakes as [FakeFreeSwitch];
  const node = nodes.pool.nodes[0]!;
  const hub = new EventHub(nodes.pool, createLogger('silent'), 1024 * 1024);
  const all = new FakeSocket();
  const only1000 = new FakeSocket();
  hub.add(all, parseFilter({}), 'k');
  hub.add(only1000, parseFilter({ extension: '1000' }), 'k');
  await hubSubscribed(fake);
  const subscriptions = fake.received.filter((c) => c.line.includes('sofia::register'));
  assert.equal(subscriptions.length, 1, 'one subscription for both clients');
  assert.ok(subscriptions[0]!.line.includes('CUSTOM sofia::register sofia::unregister sofia::expire'));
  // Another user of the same node connection listens to HEARTBEAT: the hub must not stream it.
  await node.subscribe(['HEARTBEAT']);
  fake.emitRawEvent(answer('u1', '1000').headers);
  fake.emitRawEvent(register.headers);
  fake.emitRawEvent(heartbeat.headers);
  const last = received(node, 'CHANNEL_ANSWER', 'u9');
  fake.emitRawEvent(answer('u9', '2000').headers);
  await last;
  assert.equal(all.sent.length, 3);
  assert.deepEqual(all.sent.map((m) => JSON.parse(m).event), ['CHANNEL_ANSWER', 'sofia::register', 'CHANNEL_ANSWER']);
  assert.equal(only1000.sent.length, 1);
  assert.deepEqual(JSON.parse(all.sent[1]!), {
    node: 'fs1',
    event: 'sofia::register',
    subclass: 'sofia::register',
    uuid: null,
    timestamp: null,
    headers: { 'Event-Subclass': 'sofia::register', 'Event-Name': 'CUSTOM', username: '1004', 'profile-name': 'internal' },
  });
  hub.close();
  const after = received(node, 'CHANNEL_ANSWER', 'u2');
  fake.emitRawEvent(answer('u2', '1000').headers);
  await after;
  assert.equal(all.sent.length, 3);
  assert.equal(all.closed?.code, 1001);
});

test('a slow consumer is closed with 4008 and gets nothing more; the others keep receiving; terminated after the grace time (mock timers)', async (t) => {
  const nodes = await startFakeNodes('fs1');
  t.after(() => nodes.close());
  const [fake] = nodes.fakes as [FakeFreeSwitch];
  const node = nodes.pool.nodes[0]!;
  const hub = new EventHub(nodes.pool, createLogger('silent'), 4096, 20);
  const slow = new FakeSocket();
  const fast = new FakeSocket();
  hub.add(slow, parseFilter({}), 'slow');
  hub.add(fast, parseFilter({}), 'fast');
  await hubSubscribed(fake);
  let got = received(node, 'CHANNEL_ANSWER', 'u1');
  fake.emitRawEvent(answer('u1', '1000').headers);
  await got;
  slow.bufferedAmount = 4000;
  // From here the hub's grace timer is a mock: it fires when the test says so, not after 20 ms of waiting.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  got = received(node, 'CHANNEL_ANSWER', 'u3');
  fake.emitRawEvent(answer('u2', '1000').headers);
  fake.emitRawEvent(answer('u3', '1000').headers);
  await got;
  assert.equal(slow.sent.length, 1);
  assert.deepEqual(slow.closed, { code: SLOW_CONSUMER.code, reason: 'slow consumer' });
  assert.equal(fast.sent.length, 3);
  t.mock.timers.tick(19);
  assert.equal(slow.terminated, false, 'still within the grace time');
  t.mock.timers.tick(1);
  assert.equal(slow.terminated, true);
  assert.equal(hub.size, 1);
  t.mock.timers.reset();
  hub.close();
});
