/**
 * nwaycallout events on every instance's WebSocket stream: two freecti instances (own
 * services, own HTTP server, own Redis connections, one Redis, one key prefix) behind a
 * load balancer. A campaign started on instance A reaches a real `ws` client on instance B
 * with the same frames, the same filters (events=CALLOUT, uuid=<campaign id>,
 * extension=<number>) and each event exactly once, as on A; the campaign's webhook still
 * gets each event once (from the runner). The event stream `{freecti:callout}:events` is
 * capped (nacd.calloutEventsMaxLen); closing the services closes their blocking connections.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { validateConfig } from '../../src/config/load.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { closeRedis, createRedis, type RedisClient } from '../../src/redis.js';
import { createServices, type Services } from '../../src/services.js';
import { startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { startApp, type TestApp } from '../webhook/http-app.js';

const ADMIN = 'admin-key-0123456789abcdef';
type Message = Record<string, unknown>;

interface Instance {
  redis: RedisClient;
  services: Services;
  app: ReturnType<typeof buildApp>;
  http: string;
  ws: string;
}

describe('nwaycallout events reach the WebSocket clients of every instance', () => {
  const db = useRedis();
  const prefix = uniquePrefix('co-x');
  let nodes: FakeNodes;
  let hook: TestApp;
  let a: Instance;
  let b: Instance;
  const sockets: WebSocket[] = [];
  let closed = false;

  async function instance(): Promise<Instance> {
    const config = validateConfig({
      redis: { url: db.server.url, keyPrefix: prefix },
      admin: { keys: [ADMIN] },
      freeswitch: { nodes: nodes.nodes },
      eslOutbound: { host: '127.0.0.1', port: 8084 },
      nacd: { calloutEventsMaxLen: 100 },
    });
    const logger = createLogger('silent');
    const metrics = createMetrics({ defaultMetrics: false });
    const policy = new FsPolicy(config.security);
    const redis = createRedis(config, logger);
    if (redis.status !== 'ready') await once(redis, 'ready');
    const services = createServices({ config, logger, redis, pool: nodes.pool, metrics, policy });
    services.start();
    await services.calloutEvents.live();
    const app = buildApp({ config, logger, redis, pool: nodes.pool, metrics, version: 't', services, policy });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return { redis, services, app, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/api/v1/events` };
  }

  async function shutdown(x: Instance): Promise<void> {
    await x.app.close();
    await x.services.close();
    await closeRedis(x.redis);
  }

  before(async () => {
    nodes = await startFakeNodes('fs1');
    hook = await startApp((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    a = await instance();
    b = await instance();
  });

  after(async () => {
    for (const socket of sockets) socket.terminate();
    if (!closed) {
      await shutdown(a);
      await shutdown(b);
    }
    await hook.close();
    await nodes.close();
  });

  async function open(x: Instance, query: string): Promise<Message[]> {
    const socket = new WebSocket(`${x.ws}?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    sockets.push(socket);
    const messages: Message[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
    await once(socket, 'open');
    return messages;
  }

  async function startCampaign(x: Instance, body: Message): Promise<string> {
    const res = await fetch(`${x.http}/api/v1/nacd/callouts`, { method: 'POST', headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as Message;
    assert.equal(res.status, 201, JSON.stringify(json));
    return json.id as string;
  }

  const of = (id: string, messages: Message[]): Message[] => messages.filter((m) => m.campaign_id === id);
  const done = (id: string, messages: Message[]): boolean => messages.some((m) => m.campaign_id === id && m.event === 'callout_done');

  it('a campaign run by instance A: a client on B gets the same frames, filtered alike, each once; the webhook gets each once', async () => {
    // 9002 rings until the test answers it: the uuid= clients connect once the campaign id is known.
    let answer9002: ((text: string) => void) | undefined;
    nodes.fakes[0]!.onApi('originate', (args) => {
      const uuid = /origination_uuid=([0-9a-f-]+)/.exec(args)?.[1] ?? '';
      if (args.includes('/9001 ')) return '-ERR USER_BUSY\n';
      if (args.includes('/9002 ')) return new Promise<string>((resolve) => (answer9002 = resolve)).then((t) => t.replace('<uuid>', uuid));
      return `+OK ${uuid}\n`;
    });
    const allA = await open(a, 'events=CALLOUT');
    const allB = await open(b, 'events=CALLOUT');
    const numberA = await open(a, 'events=callout_result&extension=9003');
    const numberB = await open(b, 'events=callout_result&extension=9003');
    const channelB = await open(b, 'events=CHANNEL_ANSWER');

    const id = await startCampaign(a, { numbers: ['9001', '9002', '9003'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 50, maxConcurrent: 1, eventUrl: `${hook.url}/campaign` });
    assert.equal((await a.redis.get(`${prefix}{freecti:callout:${id}}:runner`)) !== null, true, 'instance A runs the campaign');
    await waitFor(() => answer9002 !== undefined);
    const campaignA = await open(a, `uuid=${id}`);
    const campaignB = await open(b, `uuid=${id}`);
    answer9002!('+OK <uuid>\n');
    await waitFor(() => done(id, allA) && done(id, allB) && done(id, campaignA) && done(id, campaignB));

    // A second campaign as a barrier: the stream is read in order, so once its callout_done
    // has arrived everywhere, any repeat of the first campaign's events would have too.
    const barrier = await startCampaign(a, { numbers: ['9100'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 50, maxConcurrent: 1 });
    await waitFor(() => done(barrier, allA) && done(barrier, allB));

    const first = of(id, allB);
    assert.deepEqual(first.map((m) => [m.event, m.number ?? null, m.outcome ?? null]), [
      ['callout_started', null, null],
      ['callout_result', '9001', 'busy'],
      ['callout_result', '9002', 'answered'],
      ['callout_result', '9003', 'answered'],
      ['callout_done', null, null],
    ]);
    assert.deepEqual(first, of(id, allA), 'B gets exactly the frames A gets');
    assert.deepEqual(first[0], { source: 'callout', campaign_id: id, event: 'callout_started', total: 3 });
    assert.deepEqual(first.at(-1), { source: 'callout', campaign_id: id, event: 'callout_done', state: 'done', results: 3, counts: { answered: 2, busy: 1, 'no-answer': 0, failed: 0, cancelled: 0 } });
    assert.deepEqual(Object.keys(first[3]!).sort(), ['campaign_id', 'event', 'number', 'outcome', 'source', 'timestamp', 'uuid']);
    assert.deepEqual(numberB, numberA);
    assert.deepEqual(numberB.map((m) => [m.event, m.number]), [['callout_result', '9003']]);
    // uuid= the campaign: its events from the client's connection on (9002's result, 9003's, done), on both.
    assert.deepEqual(campaignB, campaignA);
    assert.deepEqual(campaignB.map((m) => [m.event, m.number ?? null]), [['callout_result', '9002'], ['callout_result', '9003'], ['callout_done', null]]);
    assert.equal(channelB.length, 0, 'a client asking for channel events gets no campaign events');

    // The webhook: each event once, the same JSON as the frames without "source".
    await waitFor(() => hook.seen.some((r) => r.url === '/campaign' && r.body.includes('"callout_done"')));
    const webhook = hook.seen.filter((r) => r.url === '/campaign').map((r) => JSON.parse(r.body) as Message);
    assert.deepEqual(webhook, first.map(({ source: _source, ...event }) => event));
  });

  it('the event stream is capped; a campaign of 250 numbers still reaches B whole and in order', async () => {
    nodes.fakes[0]!.onApi('originate', (args) => `+OK ${/origination_uuid=([0-9a-f-]+)/.exec(args)?.[1] ?? ''}\n`);
    const allB = await open(b, 'events=CALLOUT');
    const numbers = Array.from({ length: 250 }, (_, i) => String(70000 + i));
    const id = await startCampaign(a, { numbers, group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 100, maxConcurrent: 100 });
    await waitFor(() => done(id, allB), 30_000);
    const got = of(id, allB);
    assert.equal(got.length, 252);
    assert.deepEqual(got.filter((m) => m.event === 'callout_result').map((m) => m.number).sort(), numbers);
    assert.deepEqual([got[0]!.event, got.at(-1)!.event], ['callout_started', 'callout_done']);
    const length = await db.redis.xlen(`${prefix}{freecti:callout}:events`);
    // XADD MAXLEN ~ 100 trims whole stream nodes: at least 100 entries stay, never much more.
    assert.ok(length >= 100 && length <= 200, `stream length ${length}`);
  });

  it('closing the services closes their blocking connections (no XREAD is left waiting)', async () => {
    const blocked = async (): Promise<number> => Number(/blocked_clients:(\d+)/.exec(await db.redis.info('clients'))?.[1]);
    const xreads = async (): Promise<number> => String(await db.redis.call('CLIENT', 'LIST')).split('\n').filter((line) => line.includes('cmd=xread')).length;
    await waitFor(async () => (await xreads()) >= 4); // per instance: the ACD queue-log feed and the campaign event feed
    closed = true;
    await shutdown(a);
    await shutdown(b);
    await waitFor(async () => (await xreads()) === 0 && (await blocked()) === 0);
  });
});
