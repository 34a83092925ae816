import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { AuditLog } from '../../src/cli-http/audit.js';
import { RateLimiter } from '../../src/auth/rate-limit.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';

let server: TestRedis;
let redisA: Redis;
let redisB: Redis;
const logger = createLogger('silent');

before(async () => {
  server = await startRedis();
  redisA = new Redis(server.url);
  redisB = new Redis(server.url);
  await Promise.all([redisA.ping(), redisB.ping()]);
});

after(async () => {
  redisA.disconnect();
  redisB.disconnect();
  await server.stop();
});

test('the per-key limit holds across two instances sharing Redis', async () => {
  const keys = new Keys(uniquePrefix('rate'));
  const now = () => 1_800_000_000_000 + 5_000;
  const a = new RateLimiter(redisA, keys, logger, now);
  const b = new RateLimiter(redisB, keys, logger, now);
  const results: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    results.push((await a.hit('ops', 4)).allowed);
    results.push((await b.hit('ops', 4)).allowed);
  }
  assert.deepEqual(results, [true, true, true, true, false, false]);
  const decision = await a.hit('other', 4);
  assert.equal(decision.scope, 'redis');
  assert.equal(decision.allowed, true);
  const key = keys.internal('cli', 'rate', 'ops', String(Math.floor(now() / 60_000)));
  assert.equal(await redisA.get(key), '6');
  const ttl = await redisA.pttl(key);
  assert.ok(ttl > 0 && ttl <= 120_000, `ttl ${ttl}`);
  // The next window starts from zero.
  const later = new RateLimiter(redisA, keys, logger, () => now() + 60_000);
  assert.equal((await later.hit('ops', 4)).allowed, true);
});

test('without Redis the limit is counted per instance', async () => {
  const down = new Redis({ lazyConnect: true });
  const limiter = new RateLimiter(down, new Keys(uniquePrefix('rate')), logger);
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await limiter.hit('k', 2));
  assert.deepEqual(results.map((r) => [r.allowed, r.scope]), [[true, 'local'], [true, 'local'], [false, 'local']]);
});

test('the audit stream is capped by MAXLEN and carries no key', async () => {
  const keys = new Keys(uniquePrefix('audit'));
  const audit = new AuditLog(logger, redisA, keys, 5);
  for (let i = 0; i < 40; i++) {
    audit.write({ keyId: 'ops', ip: '127.0.0.1', via: 'cli', cmd: 'status', arg: String(i), node: 'fs1', status: 200, result: '+OK', durationMs: 1 });
  }
  await redisA.ping();
  const length = await redisA.xlen(audit.streamKey());
  assert.equal(length, 5);
  const last = await redisA.xrevrange(audit.streamKey(), '+', '-', 'COUNT', 1);
  const fields = last[0]?.[1] ?? [];
  assert.equal(fields[fields.indexOf('arg') + 1], '39');
  assert.equal(fields[fields.indexOf('keyId') + 1], 'ops');
});
