import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreectiError } from '../../src/errors.js';
import { EslEvent } from '../../src/esl/event.js';
import { matches, parseFilter } from '../../src/event-stream/filter.js';
import { EventHub, SLOW_CONSUMER, type StreamSocket } from '../../src/event-stream/hub.js';
import { createLogger } from '../../src/logger.js';
import { scriptedPool } from '../cli-http/helpers.js';

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

test('the hub subscribes on the first client, fans out matching streamable events, skips the rest', () => {
  const pool = scriptedPool('fs1');
  const node = pool.nodes[0]!;
  const subscribed = node.subscriptions;
  const hub = new EventHub(pool, createLogger('silent'), 1024 * 1024);
  const all = new FakeSocket();
  const only1000 = new FakeSocket();
  hub.add(all, parseFilter({}), 'k');
  hub.add(only1000, parseFilter({ extension: '1000' }), 'k');
  assert.equal(subscribed.length, 1);
  assert.ok(subscribed[0]!.includes('CUSTOM sofia::register sofia::unregister sofia::expire'));
  node.emit('event', answer('u1', '1000'));
  node.emit('event', register);
  node.emit('event', heartbeat);
  assert.equal(all.sent.length, 2);
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
  node.emit('event', answer('u2', '1000'));
  assert.equal(all.sent.length, 2);
  assert.equal(all.closed?.code, 1001);
});

test('a slow consumer is closed with 4008 and gets nothing more; the others keep receiving', async () => {
  const pool = scriptedPool('fs1');
  const node = pool.nodes[0]!;
  const hub = new EventHub(pool, createLogger('silent'), 4096, 20);
  const slow = new FakeSocket();
  const fast = new FakeSocket();
  hub.add(slow, parseFilter({}), 'slow');
  hub.add(fast, parseFilter({}), 'fast');
  node.emit('event', answer('u1', '1000'));
  slow.bufferedAmount = 4000;
  node.emit('event', answer('u2', '1000'));
  node.emit('event', answer('u3', '1000'));
  assert.equal(slow.sent.length, 1);
  assert.deepEqual(slow.closed, { code: SLOW_CONSUMER.code, reason: 'slow consumer' });
  assert.equal(fast.sent.length, 3);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(slow.terminated, true);
  assert.equal(hub.size, 1);
  hub.close();
});
