import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { FreectiError } from '../../src/errors.js';
import { Keyring as Ring, buildBlockList, sourceAllowed } from '../../src/auth/keyring.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';

class Keyring extends Ring {
  constructor(config: ConstructorParameters<typeof Ring>[0]) {
    super(config, new FsPolicy());
  }
}

test('FREECTI_CLI_KEY is the single key "default": every command of the allow-list, nothing beyond it', () => {
  const ring = new Keyring(loadConfig({ FREECTI_CLI_KEY: 'env-key-123456' }));
  const entry = ring.find('env-key-123456');
  assert.equal(entry?.id, 'default');
  assert.equal(entry?.grants.grants('uuid_kill'), true);
  assert.equal(entry?.grants.grants('system'), false);
  assert.equal(entry?.grants.grants('reloadxml'), false);
  assert.equal(entry?.ratePerMinute, 600);
  assert.equal(ring.find('env-key-12345'), undefined);
  assert.equal(ring.find('env-key-1234567'), undefined);
  assert.equal(ring.find(''), undefined);
  assert.equal(ring.find(undefined), undefined);
});

test('several keys and admin keys are told apart; admin keys are not CLI keys', () => {
  const ring = new Keyring(
    validateConfig({
      cli: { keys: [{ id: 'a', key: 'aaaaaaaaaaaaaaaa', allow: ['status'] }, { id: 'b', key: 'bbbbbbbbbbbbbbbb', allow: ['show'], ratePerMinute: 5 }] },
      admin: { keys: ['cccccccccccccccc'] },
    }),
  );
  assert.equal(ring.size, 3);
  assert.equal(ring.find('aaaaaaaaaaaaaaaa')?.id, 'a');
  assert.equal(ring.find('bbbbbbbbbbbbbbbb')?.ratePerMinute, 5);
  assert.deepEqual([ring.find('cccccccccccccccc')?.id, ring.find('cccccccccccccccc')?.cli], ['admin-1', false]);
  assert.throws(
    () => new Keyring(validateConfig({ cli: { keys: [{ id: 'a', key: 'aaaaaaaaaaaaaaaa', allow: ['*'] }, { id: 'a', key: 'dddddddddddddddd', allow: ['*'] }] } })),
    (e: unknown) => e instanceof FreectiError && e.key === 'CONFIG_INVALID',
  );
});

test('source CIDRs: IPv4, IPv6 and IPv4-mapped IPv6; a bad CIDR stops the start', () => {
  const list = buildBlockList(['10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
  assert.equal(sourceAllowed(list, '10.1.2.3'), true);
  assert.equal(sourceAllowed(list, '::ffff:10.1.2.3'), true);
  assert.equal(sourceAllowed(list, '192.0.2.7'), true);
  assert.equal(sourceAllowed(list, '192.0.2.8'), false);
  assert.equal(sourceAllowed(list, 'fd00::2'), true);
  assert.equal(sourceAllowed(list, '127.0.0.1'), false);
  assert.equal(sourceAllowed(list, 'not-an-ip'), false);
  for (const bad of ['10.0.0.0/33', 'example', '10.0.0.0/8/1', 'fd00::/129']) {
    assert.throws(
      () => validateConfig({ cli: { keys: [{ id: 'a', key: 'aaaaaaaaaaaaaaaa', allow: ['*'], sourceCidrs: [bad] }] } }),
      (e: unknown) => e instanceof FreectiError && e.key === 'CONFIG_INVALID' && e.message.includes('sourceCidrs'),
      bad,
    );
  }
});
