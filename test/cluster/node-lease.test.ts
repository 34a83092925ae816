/**
 * The node lease on an injected clock (no real waiting): rounds never overlap, and a
 * holder whose Redis hangs gives the lease up at ttl - margin on its own timer, without
 * an answer from Redis; when Redis answers late and the key is still its own, the next
 * round takes it back. Redis is real, behind a proxy that can hold every command.
 */
import { once } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { expiryMarginMs, NodeLease } from '../../src/cluster/node-lease.js';
import { createLogger } from '../../src/logger.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const logger = createLogger('silent');
// Logical times on the manual clock; the real key lives TTL real ms, far longer than the test.
const TTL = 30_000;
const RENEW = 3_000;

/** Lets socket I/O that is ready happen (a command reaches the proxy) without waiting out time. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const count = (text: string, part: string): number => text.split(part).length - 1;

describe('node lease: self-scheduled rounds and local expiry', () => {
  const fixture = useRedis();

  test('a hung Redis: one round in flight, the lease is lost at ttl - margin without an answer, and taken back when Redis answers', async () => {
    const proxy = await TcpProxy.start(fixture.server.port);
    const redis = new Redis(proxy.url, { maxRetriesPerRequest: 0 });
    const clock = new ManualClock();
    const key = `${uniquePrefix('lease')}{freecti}:lease:fs1`;
    const lease = new NodeLease({ redis, key, ttlMs: TTL, renewIntervalMs: RENEW, logger, token: 'token-a', clock });
    const seen: string[] = [];
    lease.on('acquired', () => seen.push('acquired'));
    lease.on('lost', () => seen.push('lost'));
    try {
      if (redis.status !== 'ready') await once(redis, 'ready');
      lease.start();
      await lease.idle();
      assert.equal(lease.state, 'held');
      assert.deepEqual(seen, ['acquired']);

      // A healthy renewal, renewIntervalMs after the first round ended.
      clock.advance(RENEW);
      await lease.idle();
      assert.equal(lease.state, 'held');
      const renewedAt = clock.now();

      // Redis hangs: the next renewal goes out and gets no answer.
      proxy.record = true;
      proxy.hold();
      clock.advance(RENEW);
      await turn();
      // Many intervals pass: no second round is sent while the first one hangs.
      clock.advance(3 * RENEW);
      await turn();
      assert.equal(count(proxy.clientBytes, key), 1, 'exactly one command in flight');
      const limit = TTL - expiryMarginMs(TTL, RENEW);
      clock.advance(renewedAt + limit - 1 - clock.now());
      assert.equal(lease.state, 'held', 'still held just before ttl - margin');
      clock.advance(1);
      assert.equal(lease.state, 'unknown', 'lost at ttl - margin after the last successful renewal');
      assert.equal(lease.isHolder, false);
      assert.deepEqual(seen, ['acquired', 'lost']);
      assert.ok(proxy.heldChunks > 0, 'Redis has still not answered');

      // Redis answers late: the key is still ours, so the next round takes the lease back.
      proxy.release();
      await lease.idle();
      assert.equal(lease.isHolder, false, 'a late answer does not make it held by itself');
      clock.advance(RENEW);
      await lease.idle();
      assert.equal(lease.state, 'held');
      assert.deepEqual(seen, ['acquired', 'lost', 'acquired']);
      assert.equal(await fixture.redis.get(key), 'token-a');
    } finally {
      await lease.stop();
      redis.disconnect();
      await proxy.close();
    }
  });

  test('a failing Redis: the holder keeps the lease until ttl - margin, then gives it up', async () => {
    const proxy = await TcpProxy.start(fixture.server.port);
    const redis = new Redis(proxy.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const clock = new ManualClock();
    const key = `${uniquePrefix('lease')}{freecti}:lease:fs1`;
    const lease = new NodeLease({ redis, key, ttlMs: TTL, renewIntervalMs: RENEW, logger, token: 'token-a', clock });
    try {
      if (redis.status !== 'ready') await once(redis, 'ready');
      lease.start();
      await lease.idle();
      assert.equal(lease.state, 'held');
      // The connection goes away: every round fails at once.
      await proxy.close();
      await once(redis, 'end');
      const limit = TTL - expiryMarginMs(TTL, RENEW);
      let rounds = 0;
      while (clock.now() + RENEW < 1_000_000 + limit) {
        clock.advance(RENEW);
        await lease.idle();
        rounds++;
        assert.equal(lease.state, 'held', `held after ${rounds} failed rounds`);
      }
      clock.advance(limit);
      assert.equal(lease.state, 'unknown');
    } finally {
      await lease.stop({ release: false });
      redis.disconnect();
    }
  });
});
