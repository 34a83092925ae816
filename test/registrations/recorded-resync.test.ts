/**
 * Contract test of issue 9, item 3 on the recorded bytes of a real FreeSWITCH 1.11.3-dev:
 * esl-control/registrations-resync-learned-unregister-and-expire (fixtures README, "Issue 9
 * recordings", observations 25 and 26).
 *
 * Recorded: 1005 and 1006 registered before any ESL client connected (1001 was registered
 * too); the client's `show registrations as json` listed all three (what freecti's resync
 * sees); 1005 unREGISTERed (sofia::unregister, Expires 0); the listing asked at once on that
 * event still had 1005 (FreeSWITCH deletes the row later); 1 s later it was gone; then
 * FreeSWITCH expired 1006 (sofia::expire) and the listings after it had only 1001.
 *
 * Replayed in the recorded order against a real Redis, once through the store (on the
 * recording's clock, exactly as the node state consumer calls it) and once through the real
 * NodeStateConsumer connected to the fake FreeSWITCH, which answers `show registrations as
 * json` with the recorded replies and re-emits the recorded events:
 * - the resync adds the listed registrations in the seed's shape (`registrations` field =
 *   extension, value = sofia::register-shaped event JSON);
 * - after the recorded sofia::unregister 1005 is gone from the `registrations` hash;
 * - the recorded listing that still has 1005 (a resync racing FreeSWITCH's delete) does not
 *   bring it back;
 * - after the recorded sofia::expire 1006 is gone too; 1001 stays throughout.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { validateConfig } from '../../src/config/load.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent } from '../../src/esl/event.js';
import { createInboundClient, type InboundClient } from '../../src/esl/inbound-client.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { contactUri } from '../../src/registrations/registration-event.js';
import { RegistrationStore } from '../../src/registrations/registration-store.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { readEsl, readTranscript } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const STEM = 'esl-control/registrations-resync-learned-unregister-and-expire';
const NODE = 'fs1';
const logger = createLogger('silent');

// ---- the recording, decoded with the project's decoder ------------------------------

const messages = EslDecoder.decodeAll(readEsl(STEM));
/** Recorded time (s since connect) of every message: the transcript has one S>C chunk per frame. */
const frameTimes = readTranscript(STEM).filter((c) => c.dir === 'S>C').map((c) => c.time);

interface Step {
  kind: 'listing' | 'event';
  /** Recorded time, s since the connection started. */
  time: number;
  body: string;
  event: EslEvent | undefined;
}

const steps: Step[] = messages.flatMap((m, i): Step[] => {
  const time = frameTimes[i] ?? Number.NaN;
  if (m.kind === 'api-response') return [{ kind: 'listing', time, body: m.body, event: undefined }];
  if (m.kind === 'event') return [{ kind: 'event', time, body: '', event: m.event }];
  return [];
});
const listings = steps.filter((s) => s.kind === 'listing');
const eventSteps = steps.filter((s) => s.kind === 'event');

function recordedEvent(subclass: string): EslEvent {
  const found = eventSteps.filter((s) => s.event?.subclass === subclass);
  assert.equal(found.length, 1, `one recorded ${subclass}`);
  return found[0]?.event as EslEvent;
}
function recordedListing(n: number): string {
  const step = listings[n];
  assert.ok(step !== undefined, `recorded listing #${n}`);
  return step.body;
}
function stepTime(step: Step | undefined): number {
  assert.ok(step !== undefined && Number.isFinite(step.time));
  return step.time;
}

const UNREGISTER = recordedEvent('sofia::unregister');
const EXPIRE = recordedEvent('sofia::expire');
/** The resync's listing: 1001, 1006 and 1005. */
const RESYNC = recordedListing(0);
/** Asked at once on sofia::unregister: still lists 1005. */
const RACING = recordedListing(1);
/** 1 s later: 1005 gone. */
const SETTLED = recordedListing(2);
/** At once on sofia::expire: only 1001. */
const AFTER_EXPIRE = recordedListing(3);

/** The recording's clock (ms since epoch) at a step: anchored on the unregister's Event-Date-Timestamp. */
const unregisterStep = eventSteps.find((s) => s.event === UNREGISTER);
const UNREGISTER_AT_MS = Math.floor(Number(UNREGISTER.get('Event-Date-Timestamp')) / 1000);
const clockAt = (step: Step | undefined): number => UNREGISTER_AT_MS + Math.round((stepTime(step) - stepTime(unregisterStep)) * 1000);

interface Row {
  reg_user: string;
  realm: string;
  token: string;
  url: string;
  expires: string;
  network_ip: string;
  network_port: string;
  hostname: string;
}
const rowsOf = (listing: string): Row[] => (JSON.parse(listing) as { rows?: Row[] }).rows ?? [];
const usersOf = (listing: string): string[] => rowsOf(listing).map((r) => r.reg_user).sort();

/** The headers by which the seed's `registrations` value identifies a device (a real sofia::register has every one). */
const SEED_HEADERS = ['Event-Subclass', 'Event-Name', 'profile-name', 'from-user', 'from-host', 'contact', 'call-id', 'network-ip', 'network-port', 'username', 'realm'];
const REAL_REGISTER = EslDecoder.decodeAll(readEsl('esl-control/registration-expire-sofia-events'))
  .flatMap((m) => (m.kind === 'event' && m.event.subclass === 'sofia::register' ? [m.event] : []))[0];

/** A `registrations` value is what the seed stores for a listed row: sofia::register-shaped JSON carrying the row's identity. */
function assertSeedShape(value: string | undefined, row: Row): void {
  assert.ok(value !== undefined, `registrations field ${row.reg_user}`);
  const json = JSON.parse(value) as Record<string, unknown>;
  for (const header of SEED_HEADERS) assert.equal(typeof json[header], 'string', `${row.reg_user}: ${header}`);
  assert.equal(json['Event-Name'], 'CUSTOM');
  assert.equal(json['Event-Subclass'], 'sofia::register');
  assert.equal(json['profile-name'], 'internal');
  assert.equal(json['username'], row.reg_user);
  assert.equal(json['from-user'], row.reg_user);
  assert.equal(json['realm'], row.realm);
  assert.equal(json['from-host'], row.realm);
  assert.equal(json['call-id'], row.token);
  assert.equal(json['network-ip'], row.network_ip);
  assert.equal(json['network-port'], row.network_port);
  assert.equal(json['FreeSWITCH-Hostname'], row.hostname);
  // The contact as the issue saw it after the resync: the listing's URI in angle brackets.
  assert.equal(json['contact'], `<${row.url.replace(/^sofia\/internal\//, '')}>`);
  assert.equal(json['freecti-source'], `reconcile:${NODE}`);
}

describe('the recording holds what this test replays', () => {
  test('order, listings and the identity the events share with the rows', () => {
    assert.equal(frameTimes.length, messages.length, 'one transcript chunk per decoded frame');
    assert.deepEqual(steps.map((s) => (s.kind === 'event' ? s.event?.subclass : 'listing')), [
      'listing', 'sofia::unregister', 'listing', 'listing', 'sofia::expire', 'listing', 'listing',
    ]);
    assert.deepEqual(usersOf(RESYNC), ['1001', '1005', '1006']);
    assert.deepEqual(usersOf(RACING), ['1001', '1005', '1006'], 'asked at once on sofia::unregister: 1005 still listed');
    assert.deepEqual(usersOf(SETTLED), ['1001', '1006']);
    assert.deepEqual(usersOf(AFTER_EXPIRE), ['1001']);
    const r1005 = rowsOf(RESYNC).find((r) => r.reg_user === '1005');
    const r1006 = rowsOf(RESYNC).find((r) => r.reg_user === '1006');
    assert.ok(r1005 && r1006);
    assert.equal(UNREGISTER.get('call-id'), r1005.token);
    assert.equal(UNREGISTER.get('expires'), '0');
    assert.equal(contactUri(UNREGISTER.get('contact') ?? ''), contactUri(r1005.url));
    assert.equal(EXPIRE.get('call-id'), r1006.token);
    assert.equal(EXPIRE.get('user'), '1006');
    assert.equal(contactUri(EXPIRE.get('contact') ?? ''), contactUri(r1006.url));
    // A real sofia::register carries every header the seed value is checked for.
    assert.ok(REAL_REGISTER !== undefined);
    for (const header of SEED_HEADERS) assert.equal(typeof REAL_REGISTER.get(header), 'string', `real sofia::register has ${header}`);
    assert.ok(clockAt(listings[0]) < UNREGISTER_AT_MS && UNREGISTER_AT_MS < clockAt(listings[1]));
  });
});

describe('recorded resync, unregister, racing resync and expire against a real Redis', () => {
  const db = useRedis();

  function context(prefix: string) {
    const keys = new Keys(prefix);
    const fields = async (): Promise<string[]> => (await db.redis.hkeys(`${prefix}registrations`)).sort();
    const value = (field: string): Promise<string | null> => db.redis.hget(`${prefix}registrations`, field);
    return { keys, fields, value };
  }

  test('through the store, as the node state consumer calls it, on the recording\'s clock', async () => {
    const prefix = uniquePrefix('recorded-resync');
    const config = validateConfig({ redis: { keyPrefix: prefix } });
    const { keys, fields, value } = context(prefix);
    const store = new RegistrationStore(db.redis, keys, config.gui.registration);

    // The resync (freecti starts, takes over the lease, or Redis came back empty).
    assert.deepEqual(await store.reconcile(NODE, RESYNC, undefined, clockAt(listings[0])), { removed: 0, added: 3, skipped: 0 });
    assert.deepEqual(await fields(), ['1001', '1005', '1006']);
    for (const row of rowsOf(RESYNC)) assertSeedShape((await value(row.reg_user)) ?? undefined, row);
    assert.equal(await db.redis.scard(keys.registrationsOfNode(NODE)), 3);

    // sofia::unregister of 1005, as recorded.
    const unregister = await store.apply(NODE, UNREGISTER, clockAt(unregisterStep));
    assert.equal(unregister?.kind, 'unregister');
    assert.equal(unregister?.removed, 1, 'the recorded unregister matches the contact the resync learned');
    assert.deepEqual(await fields(), ['1001', '1006']);

    // The listing FreeSWITCH gave at once on that event still has 1005: a resync racing the delete.
    assert.deepEqual(await store.reconcile(NODE, RACING, undefined, clockAt(listings[1])), { removed: 0, added: 0, skipped: 1 });
    assert.deepEqual(await fields(), ['1001', '1006']);
    // 1 s later FreeSWITCH has deleted the row.
    assert.deepEqual(await store.reconcile(NODE, SETTLED, undefined, clockAt(listings[2])), { removed: 0, added: 0, skipped: 0 });
    assert.deepEqual(await fields(), ['1001', '1006']);

    // sofia::expire of 1006, as recorded.
    const expireStep = eventSteps.find((s) => s.event === EXPIRE);
    const expire = await store.apply(NODE, EXPIRE, clockAt(expireStep));
    assert.equal(expire?.kind, 'expire');
    assert.equal(expire?.removed, 1, 'the recorded expire matches the contact the resync learned');
    assert.deepEqual(await fields(), ['1001']);
    for (const n of [3, 4]) {
      assert.deepEqual(await store.reconcile(NODE, recordedListing(n), undefined, clockAt(listings[n])), { removed: 0, added: 0, skipped: 0 });
      assert.deepEqual(await fields(), ['1001']);
    }
    const r1001 = rowsOf(RESYNC).find((r) => r.reg_user === '1001');
    assert.ok(r1001);
    assertSeedShape((await value('1001')) ?? undefined, r1001);
    assert.equal(await db.redis.scard(keys.registrationsOfNode(NODE)), 1);
  });

  test('through the real node state consumer and the fake FreeSWITCH answering with the recorded bytes', async () => {
    const fake = await FakeFreeSwitch.start();
    const prefix = uniquePrefix('recorded-resync-node');
    const config = validateConfig({ redis: { keyPrefix: prefix }, cluster: { leaseTtlMs: 600, renewIntervalMs: 150 } });
    const { keys, fields, value } = context(prefix);
    /** What FreeSWITCH answers to `show registrations as json` now: the recorded reply of that moment. */
    const state = { listing: RESYNC, asked: 0 };
    fake.onApi('show', (args) => {
      if (args !== 'registrations as json') return '{"row_count": 0}\n';
      state.asked++;
      return state.listing;
    });
    const replayed = (event: EslEvent): number => fake.replay(readEsl(STEM), { filter: (e) => e.subclass === event.subclass && e.get('call-id') === event.get('call-id') });
    let node: InboundClient | undefined;
    let consumer: NodeStateConsumer | undefined;
    try {
      node = createInboundClient({
        name: NODE, host: fake.host, port: fake.port, password: fake.password, eventFormat: 'plain',
        commandTimeoutMs: 2000, connectTimeoutMs: 2000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
      });
      const client = node;
      await waitFor(() => client.status.state === 'ready', 8000);
      consumer = new NodeStateConsumer({ node, redis: db.redis, keys, config, logger, leaseToken: 'recorded-resync' });
      await consumer.start();
      await fake.waitForCommand(/^event .*sofia::unregister.*sofia::expire/);

      // The resync the consumer runs when it takes the lease: the recorded listing.
      await waitFor(async () => (await fields()).length === 3, 8000);
      await consumer.idle();
      assert.deepEqual(await fields(), ['1001', '1005', '1006']);
      for (const row of rowsOf(RESYNC)) assertSeedShape((await value(row.reg_user)) ?? undefined, row);

      // From now on FreeSWITCH answers what it answered at once on the unregister: 1005 still listed.
      state.listing = RACING;
      assert.equal(replayed(UNREGISTER), 1);
      await waitFor(async () => !(await fields()).includes('1005'), 8000);
      await consumer.idle();
      assert.deepEqual(await fields(), ['1001', '1006']);
      // The resync racing the delete (a takeover, a reconnect, an unregister that matched nothing).
      const asked = state.asked;
      await consumer.reconcile();
      await consumer.idle();
      assert.equal(state.asked, asked + 1, 'the resync asked FreeSWITCH and got the recorded listing with 1005');
      assert.deepEqual(await fields(), ['1001', '1006'], 'the racing resync does not bring 1005 back');

      // 1 s later FreeSWITCH had deleted the row; then it expired 1006 and listed only 1001.
      state.listing = SETTLED;
      await consumer.reconcile();
      await consumer.idle();
      assert.deepEqual(await fields(), ['1001', '1006']);
      state.listing = AFTER_EXPIRE;
      assert.equal(replayed(EXPIRE), 1);
      await waitFor(async () => !(await fields()).includes('1006'), 8000);
      await consumer.idle();
      assert.deepEqual(await fields(), ['1001']);
      await consumer.reconcile();
      await consumer.idle();
      assert.deepEqual(await fields(), ['1001']);
      assert.equal(consumer.written, 2, 'the unregister and the expire were applied by this instance');
    } finally {
      await consumer?.stop();
      await node?.close();
      await fake.close();
    }
  });
});
