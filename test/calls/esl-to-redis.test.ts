import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { validateConfig } from '../../src/config/load.js';
import { createInboundClient } from '../../src/esl/inbound-client.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor as waitUntil } from '../helpers/wait.js';

/** Takeover and delivery must happen within 8000 ms. */
const waitFor = (check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> => waitUntil(check, ms);

describe('recorded FreeSWITCH events over a real event socket end up in Redis', () => {
  const db = useRedis();

  for (const format of ['plain', 'json'] as const) {
    test(`${format}: register, answered call, hangup, unregister`, async () => {
      const fake = await FakeFreeSwitch.start();
      const prefix = uniquePrefix('e2e');
      const config = validateConfig({ redis: { keyPrefix: prefix }, gui: { call: { list: 'calls-log' }, registration: { list: 'reg-log' } } });
      const logger = createLogger('silent');
      const node = createInboundClient({
        name: 'fs1', host: fake.host, port: fake.port, password: fake.password, eventFormat: format,
        commandTimeoutMs: 2000, connectTimeoutMs: 2000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
      });
      // Subscribe before the handshake, as the service does.
      const consumer = new NodeStateConsumer({ node, redis: db.redis, keys: new Keys(prefix), config, logger });
      try {
        await consumer.start();
        await waitFor(async () => consumer.lease.isHolder && fake.received.some((c) => /^event .*sofia::register/.test(c.line)));
        await consumer.idle();
        const sent = fake.replay('esl-events/event-plain-all-register-call-answered-caller-hangup-unregister');
        assert.ok(sent > 100);
        await waitFor(async () => (await db.redis.llen(`${prefix}calls-log`)) === 6 && (await db.redis.llen(`${prefix}reg-log`)) >= 4);
        await consumer.idle();
        const calls = (await db.redis.lrange(`${prefix}calls-log`, 0, -1)).reverse().map((m) => JSON.parse(m) as { username: string; notify: string });
        assert.deepEqual(calls.filter((c) => c.username === '1000').map((c) => c.notify), ['callout', 'answer', 'hangup']);
        assert.deepEqual(calls.filter((c) => c.username === '1001').map((c) => c.notify), ['callin', 'answer', 'hangup']);
        // Default onLastHangup 'keep' (seed 001): a poller of the hash sees each extension's hangup.
        const kept = await db.redis.hgetall(`${prefix}calls`);
        assert.deepEqual(Object.keys(kept).sort(), ['1000', '1001']);
        for (const raw of Object.values(kept)) {
          const rec = JSON.parse(raw) as { notify: string; activity: unknown[] };
          assert.equal(rec.notify, 'hangup');
          assert.deepEqual(rec.activity, []);
        }
        // Both phones registered and unregistered again in the recording.
        const regs = (await db.redis.lrange(`${prefix}reg-log`, 0, -1)).reverse().map((m) => JSON.parse(m) as Record<string, string>);
        assert.deepEqual(regs.map((r) => `${r['Event-Subclass']} ${r['username']}`).filter((l) => l.endsWith('1000')), ['sofia::register 1000', 'sofia::unregister 1000']);
        assert.equal(await db.redis.hlen(`${prefix}registrations`), 0);
      } finally {
        await consumer.stop();
        await node.close();
        await fake.close();
      }
    });
  }
});
