/**
 * Contract with the real FreeSWITCH (esl-control/registration-new-call-id-same-contact): a
 * device that REGISTERs again with a new Call-ID from the same Contact and source address is
 * one registration for FreeSWITCH (the listing has one row per user, with the last Call-ID),
 * so after the recorded events freecti holds exactly the contacts FreeSWITCH lists.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import { Keys } from '../../src/keys.js';
import { RegistrationStore } from '../../src/registrations/registration-store.js';
import { parseShowRegistrations } from '../../src/registrations/show-registrations.js';
import { readEsl } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';

const recording = EslDecoder.decodeAll(readEsl('esl-control/registration-new-call-id-same-contact'));
const registers = recording.flatMap((m) => (m.kind === 'event' && m.event.subclass === 'sofia::register' ? [m.event] : []));
const listing = recording.flatMap((m) => (m.kind === 'api-response' ? [m.body] : [])).find((b) => b.includes('"rows"')) ?? '';

describe('a new Call-ID from the same contact (recorded on FreeSWITCH 1.11.3)', () => {
  const db = useRedis();

  test('the recording: five REGISTERs, two users, one listed row each with the last Call-ID', () => {
    assert.equal(registers.length, 5);
    const rows = parseShowRegistrations(listing);
    assert.deepEqual(rows.map((r) => r.reg_user).sort(), ['1007', '1008']);
    for (const row of rows) {
      const last = registers.filter((e) => e.get('username') === row.reg_user).at(-1);
      assert.equal(row.token, last?.get('call-id'));
    }
  });

  test('after the recorded events, freecti holds exactly the contacts FreeSWITCH lists', async () => {
    const prefix = uniquePrefix('newcid');
    const config = validateConfig({ redis: { keyPrefix: prefix } });
    const keys = new Keys(prefix);
    const store = new RegistrationStore(db.redis, keys, config.gui.registration);
    const at = (ms: string | undefined): number => Math.floor(Number(ms) / 1000);
    for (const event of registers) await store.apply('fs1', event, at(event.get('Event-Date-Timestamp')));
    const now = at(registers.at(-1)?.get('Event-Date-Timestamp'));
    for (const row of parseShowRegistrations(listing)) {
      assert.deepEqual(await db.redis.hkeys(keys.registrationContacts(row.reg_user)), [row.token], `contacts of ${row.reg_user}`);
      const live = await store.liveContacts(row.reg_user, row.realm, now);
      assert.equal(live.count, 1);
      assert.deepEqual([...live.addresses], [`${row.network_ip}:${row.network_port}`]);
      const shown = JSON.parse((await db.redis.hget(`${prefix}registrations`, row.reg_user)) ?? '{}') as Record<string, string>;
      assert.equal(shown['call-id'], row.token);
    }
    assert.equal(await db.redis.scard(keys.registrationsOfNode('fs1')), 2);
  });
});
