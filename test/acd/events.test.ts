/**
 * ACD events leave the engine three ways: the queue-log stream (tailed by every instance
 * into its WebSocket hub, so a supervisor on instance B sees what instance A did), and a
 * signed webhook sent once, by the instance that wrote the event.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { AcdEventFeed } from '../../src/acd/event-feed.js';
import { AcdStats } from '../../src/acd/stats.js';
import { AcdStatsFeed } from '../../src/acd/stats-feed.js';
import { validateConfig } from '../../src/config/load.js';
import type { FsPool } from '../../src/esl/types.js';
import { parseFilter } from '../../src/event-stream/filter.js';
import { EventHub, type StreamSocket } from '../../src/event-stream/hub.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { closeRedis } from '../../src/redis.js';
import { createServices } from '../../src/services.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/webhook/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, harness, queue, silent } from './helpers.js';

const noPool: FsPool = { nodes: [], get: () => { throw new Error('no nodes'); }, statuses: () => [], close: async () => {} };

/** A WebSocket stand-in that resolves `until(n)` once it holds n messages. */
class Socket implements StreamSocket {
  bufferedAmount = 0;
  readyState = 1;
  sent: Record<string, unknown>[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
    for (const w of this.waiters.filter((x) => this.sent.length >= x.n)) w.resolve();
  }
  close(): void {
    this.readyState = 3;
  }
  terminate(): void {
    this.readyState = 3;
  }
  once(): this {
    return this;
  }
  until(n: number): Promise<void> {
    return this.sent.length >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

async function client(url: string, t: TestContext): Promise<Redis> {
  const r = new Redis(url);
  t.after(() => closeRedis(r));
  if (r.status !== 'ready') await once(r, 'ready');
  return r;
}

describe('ACD events', () => {
  const fx = useRedis();

  it('the queue log written by one instance reaches the WebSocket clients of another, filtered', async (t) => {
    const prefix = uniquePrefix('feed');
    const writer = harness(await client(fx.server.url, t), prefix);
    const feedRedis = await client(fx.server.url, t);
    const hub = new EventHub(noPool, silent, 1 << 20);
    const all = new Socket();
    const onlyConnect = new Socket();
    const oneCall = new Socket();
    const eslOnly = new Socket();
    hub.add(all, parseFilter({ events: 'ACD' }), 'k1');
    hub.add(onlyConnect, parseFilter({ events: 'CONNECT' }), 'k2');
    hub.add(oneCall, parseFilter({ uuid: 'u2' }), 'k3');
    hub.add(eslOnly, parseFilter({ events: 'CHANNEL_ANSWER' }), 'k4');
    const stats = new Socket();
    hub.add(stats, parseFilter({ events: 'QUEUESTATS' }), 'k5');
    const statsFeed = new AcdStatsFeed(feedRedis, writer.keys, new AcdStats(feedRedis, writer.keys, writer.clock), (n) => writer.engine.getQueue(n), hub, silent, 60_000);
    t.after(() => statsFeed.close());
    const feed = new AcdEventFeed(feedRedis, writer.keys, silent, (e) => {
      hub.publishAcd(e);
      statsFeed.onEvent(e);
    }, 200);
    feed.start('0'); // from the beginning of this (fresh) stream: nothing can slip by before the first read
    t.after(() => feed.close());
    await queue(writer.engine, 'q');
    await agent(writer.engine, 'a', {}, { q: [1, 1] });
    await writer.engine.setAgentState('a', 'available');
    await writer.engine.enqueue({ queue: 'q', callUuid: 'u1', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    const o = writer.offers[0]!;
    await writer.engine.offerAnswered(o.offerId, o.fencingToken, 'leg1', 'fs1');
    await writer.engine.enqueue({ queue: 'q', callUuid: 'u2', node: 'fs1', callerIdNumber: '', callerIdName: '' });
    const written = writer.events.length;
    const log = (xs: Record<string, unknown>[]) => xs.filter((m) => m.event !== 'QUEUESTATS');
    while (log(all.sent).length < written) await all.until(all.sent.length + 1);
    await oneCall.until(1);
    assert.deepEqual(log(all.sent).map((m) => m.event), writer.events.map((e) => e.event));
    assert.ok(all.sent.every((m) => m.source === 'acd'));
    assert.deepEqual(onlyConnect.sent.map((m) => [m.event, m.uuid, m.agent]), [['CONNECT', 'u1', 'a']]);
    assert.deepEqual(oneCall.sent.map((m) => m.event), ['ENTERQUEUE']);
    assert.deepEqual(eslOnly.sent, []);
    // QUEUESTATS: the first event of queue q sends its statistics at once; the later ones
    // within the interval (60 s here) are coalesced into one message at its end.
    await stats.until(1);
    assert.deepEqual([stats.sent[0]!.event, stats.sent[0]!.queue], ['QUEUESTATS', 'q']);
    assert.equal(typeof (stats.sent[0]!.stats as { waiting: number }).waiting, 'number');
    assert.equal(stats.sent.length, 1, 'the other changes wait for the end of the interval');
    hub.close();
  });

  it('every event is sent once as a signed webhook by the instance that wrote it', async (t) => {
    const secret = 'acd-webhook-secret-0123456789';
    const got: { body: string; headers: IncomingMessage['headers'] }[] = [];
    let notify: () => void = () => undefined;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        got.push({ body, headers: req.headers });
        res.end('ok');
        notify();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const config = validateConfig({ redis: { keyPrefix: uniquePrefix('hook') }, acd: { webhookUrl: `http://127.0.0.1:${port}/acd`, webhookSecret: secret } });
    const services = createServices({ config, logger: createLogger('silent'), redis: fx.redis, pool: noPool, metrics: createMetrics({ defaultMetrics: false }), policy: new FsPolicy(config.security) });
    t.after(() => services.close());
    services.start();
    await services.acd.ready;
    const engine = services.acd.engine;
    const { parseQueue } = await import('../../src/acd/config.js');
    const q = parseQueue('q', {});
    assert.ok(q.ok);
    await engine.putQueue(q.value);
    const arrived = new Promise<void>((r) => (notify = () => got.length >= 1 && r()));
    await engine.enqueue({ queue: 'q', callUuid: 'w1', node: 'fs1', callerIdNumber: '555', callerIdName: '' });
    await arrived;
    assert.equal(got.length, 1);
    const body = JSON.parse(got[0]!.body) as Record<string, unknown>;
    assert.deepEqual([body.source, body.event, body.queue, body.callUuid], ['acd', 'ENTERQUEUE', 'q', 'w1']);
    assert.equal(verifySignature({ secret, timestamp: got[0]!.headers[TIMESTAMP_HEADER] as string, signature: got[0]!.headers[SIGNATURE_HEADER] as string, payload: got[0]!.body }), true);
  });
});
