import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CallStore } from '../../src/calls/call-store.js';
import { validateConfig } from '../../src/config/load.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent } from '../../src/esl/event.js';
import { Keys } from '../../src/keys.js';
import { readEsl } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';

type CallRecord = Record<string, unknown> & { username: string; current: string; notify: string; activity: string[] };

const eventsOf = (file: string): EslEvent[] => EslDecoder.decodeAll(readEsl(file)).flatMap((m) => (m.kind === 'event' ? [m.event] : []));
const apiBody = (file: string): string => EslDecoder.decodeAll(readEsl(file)).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []))[0] ?? '';

describe('call state from channel events', () => {
  const db = useRedis();

  function store(onLastHangup: 'keep' | 'delete' = 'delete') {
    const prefix = uniquePrefix('calls');
    const config = validateConfig({ redis: { keyPrefix: prefix }, gui: { call: { list: 'call-list', listMax: 100, onLastHangup } } });
    return { prefix, s: new CallStore(db.redis, new Keys(prefix), config.gui.call), fields: config.gui.call.fields };
  }

  /** Replays a recording; returns each extension's notify sequence (from the list) and the snapshots. */
  async function replay(file: string, onLastHangup: 'keep' | 'delete' = 'delete') {
    const { prefix, s } = store(onLastHangup);
    const snapshots: Record<string, CallRecord>[] = [];
    for (const event of eventsOf(file)) {
      if (await s.apply('fs1', event)) {
        const all = await db.redis.hgetall(`${prefix}calls`);
        snapshots.push(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as CallRecord])));
      }
    }
    const messages = (await db.redis.lrange(`${prefix}call-list`, 0, -1)).reverse().map((m) => JSON.parse(m) as CallRecord);
    const sequence = (ext: string) => messages.filter((m) => m.username === ext).map((m) => m.notify);
    return { prefix, s, snapshots, messages, sequence, final: await db.redis.hgetall(`${prefix}calls`) };
  }

  for (const format of ['plain', 'json']) {
    test(`${format}: answered call 1000 → 1001, caller hangs up`, async () => {
      const r = await replay(`esl-events/event-${format}-all-register-call-answered-caller-hangup-unregister`);
      assert.deepEqual(r.sequence('1000'), ['callout', 'answer', 'hangup']);
      assert.deepEqual(r.sequence('1001'), ['callin', 'answer', 'hangup']);
      const during = r.snapshots.find((s) => s['1000']?.notify === 'answer' && s['1001']?.notify === 'answer');
      assert.ok(during, 'both extensions answered at one point');
      const a = during['1000'] as CallRecord;
      assert.equal(a.activity.length, 1);
      assert.equal(a.current, a.activity[0]);
      const fields = a[a.current] as Record<string, string>;
      assert.equal(fields['Caller-Destination-Number'], '1001');
      assert.equal(fields['Caller-Caller-ID-Number'], '1000');
      assert.match(fields['Caller-Profile-Created-Time'] ?? '', /^\d{16}$/);
      assert.match(fields['Caller-Channel-Answered-Time'] ?? '', /^\d{16}$/);
      const last = r.messages.at(-1) as CallRecord;
      assert.equal(last.notify, 'hangup');
      assert.deepEqual(last.activity, []);
      assert.deepEqual(r.final, {}, "onLastHangup 'delete': the fields go away when no call is live");
    });

    test(`${format}: default (seed 001): after the last call the record stays, notify hangup, current = the ended call`, async () => {
      assert.equal(validateConfig({}).gui.call.onLastHangup, 'keep');
      const r = await replay(`esl-events/event-${format}-all-register-call-answered-caller-hangup-unregister`, 'keep');
      assert.deepEqual(r.sequence('1000'), ['callout', 'answer', 'hangup']);
      assert.deepEqual(Object.keys(r.final).sort(), ['1000', '1001']);
      for (const ext of ['1000', '1001']) {
        const rec = JSON.parse(r.final[ext] ?? '{}') as CallRecord;
        assert.equal(rec.notify, 'hangup');
        assert.deepEqual(rec.activity, [], 'activity is an empty array, not an object');
        assert.match(r.final[ext] ?? '', /"activity":\[\]/);
        const ended = rec[rec.current] as Record<string, string>;
        assert.match(ended['Caller-Channel-Answered-Time'] ?? '', /^\d{16}$/, 'the ended call keeps its fields while current');
        const last = r.messages.filter((m) => m.username === ext).at(-1) as CallRecord;
        assert.equal(rec.current, last.current);
      }
      // The next call of 1000 replaces the ended one: the record holds live calls and current only.
      const { s } = r;
      const create = eventsOf(`esl-events/event-${format}-all-call-to-unregistered-user`).find((e) => e.name === 'CHANNEL_CREATE' && e.variable('user_name') === '1000');
      assert.ok(create?.uuid);
      await s.apply('fs1', create);
      const next = JSON.parse((await db.redis.hget(`${r.prefix}calls`, '1000')) ?? '{}') as CallRecord;
      assert.equal(next.notify, 'callout');
      assert.deepEqual(next.activity, [create.uuid]);
      const entries = Object.keys(next).filter((k) => typeof next[k] === 'object' && k !== 'activity');
      assert.deepEqual(entries, [create.uuid]);
    });

    test(`${format}: callee busy (486): 1001 rings then hangs up without answer`, async () => {
      const r = await replay(`esl-events/event-${format}-all-call-rejected-486-busy`);
      assert.deepEqual(r.sequence('1001'), ['callin', 'hangup']);
      assert.deepEqual(r.sequence('1000'), ['callout', 'answer', 'hangup']);
      assert.deepEqual(r.final, {});
    });

    test(`${format}: call to an unregistered user: only the caller has state`, async () => {
      const r = await replay(`esl-events/event-${format}-all-call-to-unregistered-user`);
      assert.deepEqual(r.sequence('1000'), ['callout', 'answer', 'hangup']);
      assert.deepEqual(r.sequence('1015'), []);
      assert.ok(r.snapshots.every((s) => Object.keys(s).every((k) => k === '1000')));
      assert.deepEqual(r.final, {});
    });
  }

  test('reconcile with show channels: missing calls are added, stale ones removed', async () => {
    const { prefix, s } = store();
    const events = eventsOf('esl-events/event-plain-all-register-call-answered-caller-hangup-unregister');
    // A call we saw start on fs1 but whose hangup we missed (ESL down meanwhile).
    const create = events.find((e) => e.name === 'CHANNEL_CREATE' && e.variable('dialed_user') === '1001');
    assert.ok(create);
    await s.apply('fs1', create);
    // fs2 has its own call, which a reconcile of fs1 must not touch.
    const other = events.find((e) => e.name === 'CHANNEL_CREATE' && e.variable('user_name') === '1000');
    assert.ok(other);
    await s.apply('fs2', other);
    const oneCall = apiBody('esl-inbound/api-show-channels-json-one-call');
    assert.deepEqual(await s.reconcile('fs1', oneCall), { removed: 1, added: 1 });
    assert.equal(await db.redis.hexists(`${prefix}calls`, '1001'), 0);
    const rec = JSON.parse((await db.redis.hget(`${prefix}calls`, '1000')) ?? '{}') as CallRecord;
    assert.equal(rec.activity.length, 2, 'fs2 call kept, fs1 listed call added');
    assert.equal(rec.notify, 'answer');
    assert.equal((rec['100f2420-9622-4e81-b569-bd11e29ee86c'] as Record<string, string>)['Caller-Destination-Number'], '9196');
    // Reconciling again changes nothing; the empty listing removes fs1's call only.
    assert.deepEqual(await s.reconcile('fs1', oneCall), { removed: 0, added: 0 });
    const none = apiBody('esl-inbound/api-show-channels-json-no-calls');
    assert.deepEqual(await s.reconcile('fs1', none), { removed: 1, added: 0 });
    const left = JSON.parse((await db.redis.hget(`${prefix}calls`, '1000')) ?? '{}') as CallRecord;
    assert.deepEqual(left.activity, [other.uuid]);
    assert.equal(left.notify, 'hangup', 'a call a reconcile finds gone ends like a hangup');
    assert.equal(left.current, '100f2420-9622-4e81-b569-bd11e29ee86c');
    await assert.rejects(() => s.reconcile('fs1', '-ERR no reply\n'), /not JSON/);
  });

  test("reconcile, onLastHangup 'keep': a record whose last call is gone stays with notify hangup", async () => {
    const { prefix, s } = store('keep');
    const events = eventsOf('esl-events/event-plain-all-register-call-answered-caller-hangup-unregister');
    const create = events.find((e) => e.name === 'CHANNEL_CREATE' && e.variable('dialed_user') === '1001');
    assert.ok(create?.uuid);
    await s.apply('fs1', create);
    const none = apiBody('esl-inbound/api-show-channels-json-no-calls');
    assert.deepEqual(await s.reconcile('fs1', none), { removed: 1, added: 0 });
    const raw = (await db.redis.hget(`${prefix}calls`, '1001')) ?? '';
    const rec = JSON.parse(raw) as CallRecord;
    assert.equal(rec.notify, 'hangup');
    assert.equal(rec.current, create.uuid);
    assert.deepEqual(rec.activity, []);
    assert.match(raw, /"activity":\[\]/);
    assert.deepEqual(await s.reconcile('fs1', none), { removed: 0, added: 0 }, 'a second reconcile changes nothing');
  });
});
