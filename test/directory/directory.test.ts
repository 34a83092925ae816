import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { validateConfig } from '../../src/config/load.js';
import { createDirectoryHandler } from '../../src/directory/handler.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { parseXmlCurlForm } from '../../src/xml-curl/request.js';
import { NOT_FOUND_DOCUMENT } from '../../src/xml-curl/xml.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { recordedRequest, withFields } from '../xml-curl/harness.js';

function unescape(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? '');
}
function paramOf(doc: string, name: string): string | undefined {
  const m = new RegExp(`<param name="${name}" value="([^"]*)"/>`).exec(doc);
  return m?.[1] === undefined ? undefined : unescape(m[1]);
}

describe('directory from cti_exten@<domain>', () => {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) logs.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  }));

  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

  async function setup(value: unknown, user = '1000', domain = '127.0.0.1') {
    const prefix = uniquePrefix('dir');
    const keys = new Keys(prefix);
    await db.redis.hset(keys.extensions(domain), user, typeof value === 'string' ? value : JSON.stringify(value));
    const config = validateConfig({ redis: { keyPrefix: prefix } });
    return { keys, handler: createDirectoryHandler({ redis: db.redis, keys, config, logger }) };
  }
  const register = recordedRequest('directory-sip-auth-register-1000').body;

  test('password, a1-hash, variables, number-alias and cacheable are served', async () => {
    const { handler } = await setup({ param: { password: '1234', 'vm-password': 77 }, variable: { 'sip-force-contact': 'NDLB-connectile-dysfunction-2.0' }, attribute: { cacheable: '10000', 'number-alias': 'myphone' } });
    const doc = await handler(parseXmlCurlForm(register));
    assert.match(doc, /<user id="1000" cacheable="10000" number-alias="myphone">/);
    assert.equal(paramOf(doc, 'password'), '1234');
    assert.equal(paramOf(doc, 'vm-password'), '77');
    assert.match(doc, /<variable name="sip-force-contact" value="NDLB-connectile-dysfunction-2.0"\/>/);
    const a1 = createHash('md5').update('1000:127.0.0.1:1234').digest('hex');
    const hashed = await (await setup({ param: { 'a1-hash': a1 } })).handler(parseXmlCurlForm(register));
    assert.equal(paramOf(hashed, 'a1-hash'), a1);
    assert.equal(paramOf(hashed, 'password'), undefined);
  });

  test('a password with " < & \' > is XML-escaped and round-trips', async () => {
    const nasty = `p"<&'>]]>x`;
    const { handler } = await setup({ param: { password: nasty }, variable: { note: '</variable><x/>' } });
    const doc = await handler(parseXmlCurlForm(register));
    assert.equal(paramOf(doc, 'password'), nasty);
    assert.doesNotMatch(doc, /<x\/>/);
    assert.ok(!doc.includes(`value="${nasty}"`));
  });

  test('unknown domain, unknown user, a missing user field: not found', async () => {
    const { handler } = await setup({ param: { password: '1' } });
    assert.equal(await handler(parseXmlCurlForm(withFields(register, { user: '1999' }))), NOT_FOUND_DOCUMENT);
    assert.equal(await handler(parseXmlCurlForm(withFields(register, { domain: 'other.example' }))), NOT_FOUND_DOCUMENT);
    assert.equal(await handler(parseXmlCurlForm(withFields(register, { user: undefined }))), NOT_FOUND_DOCUMENT);
  });

  test('invalid JSON or a wrong shape: not found and exactly one log line naming key and field', async () => {
    for (const bad of ['{not json', JSON.stringify({ param: { password: ['a'] } }), JSON.stringify({ attribute: { cacheable: 'soon' } }), JSON.stringify({ param: { password: 'a\u0001b' } })]) {
      const { keys, handler } = await setup(bad);
      const before = logs.length;
      assert.equal(await handler(parseXmlCurlForm(register)), NOT_FOUND_DOCUMENT, bad);
      const lines = logs.slice(before);
      assert.equal(lines.length, 1, bad);
      assert.equal(lines[0]?.['redisKey'], keys.extensions('127.0.0.1'));
      assert.equal(lines[0]?.['field'], '1000');
    }
  });

  test('Redis down: not found, quickly, and a log line', async () => {
    const down = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    const config = validateConfig({ directory: { redisTimeoutMs: 100 } });
    const handler = createDirectoryHandler({ redis: down, keys: new Keys('x:'), config, logger });
    const before = logs.length;
    assert.equal(await handler(parseXmlCurlForm(register)), NOT_FOUND_DOCUMENT);
    assert.ok(logs.slice(before).some((l) => l['msg'] === 'Redis unavailable for a directory lookup; answered not found'));
    down.disconnect();
  });

  test('Redis that does not answer: not found once directory.redisTimeoutMs has passed', async () => {
    // The client talks to the real Redis through a loopback relay; frozen, the relay holds
    // Redis's answers back (a Redis that stopped answering), thawed it delivers them.
    let frozen = false;
    const held: { socket: Socket; data: Buffer }[] = [];
    const relay = createServer((client) => {
      const upstream = connect(db.server.port, '127.0.0.1');
      client.on('data', (data) => upstream.write(data));
      upstream.on('data', (data: Buffer) => (frozen ? held.push({ socket: client, data }) : client.write(data)));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const address = relay.address();
    const slow = new Redis({ host: '127.0.0.1', port: typeof address === 'object' && address !== null ? address.port : 0 });
    await slow.ping();
    const { keys } = await setup({ param: { password: '1234' } });
    const config = validateConfig({ redis: { keyPrefix: keys.prefix }, directory: { redisTimeoutMs: 50 } });
    const handler = createDirectoryHandler({ redis: slow, keys, config, logger });
    assert.equal(paramOf(await handler(parseXmlCurlForm(register)), 'password'), '1234', 'served while Redis answers');
    frozen = true;
    const answer = await handler(parseXmlCurlForm(register));
    assert.equal(answer, NOT_FOUND_DOCUMENT);
    frozen = false;
    for (const { socket, data } of held.splice(0)) socket.write(data);
    assert.equal(await slow.ping(), 'PONG', 'the connection still works once Redis answers');
    slow.disconnect();
    relay.close();
  });
});
