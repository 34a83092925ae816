/**
 * nwaycallout over real HTTP and a real WebSocket client (`ws`): campaign events
 * (callout_started, callout_result, callout_done) reach the event stream as well as the
 * signed webhook, filtered like other events (events=CALLOUT or a name, uuid= the call or
 * the campaign, extension= the number); numbers are appended over REST while the campaign
 * runs; the outcome list pages with the cursor; a body over the limit is refused.
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
import { createServices, type Services } from '../../src/services.js';
import { startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = 'admin-key-0123456789abcdef';
type Message = Record<string, unknown>;

describe('nwaycallout events on the WebSocket stream, appends and pages over REST', () => {
  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });
  let nodes: FakeNodes;
  let services: Services;
  let app: ReturnType<typeof buildApp>;
  let http: string;
  let ws: string;

  before(async () => {
    nodes = await startFakeNodes('fs1');
    const config = validateConfig({ redis: { keyPrefix: uniquePrefix('co-ws') }, admin: { keys: [ADMIN] }, freeswitch: { nodes: nodes.nodes }, eslOutbound: { host: '127.0.0.1', port: 8084 } });
    const logger = createLogger('silent');
    const metrics = createMetrics({ defaultMetrics: false });
    const policy = new FsPolicy(config.security);
    services = createServices({ config, logger, redis: db.redis, pool: nodes.pool, metrics, policy });
    services.start();
    await services.calloutEvents.live(); // campaign events reach the hub through the Redis stream this instance tails
    app = buildApp({ config, logger, redis: db.redis, pool: nodes.pool, metrics, version: 't', services, policy });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    http = `http://127.0.0.1:${port}`;
    ws = `ws://127.0.0.1:${port}/api/v1/events`;
  });

  after(async () => {
    await app.close();
    await services.close();
    await nodes.close();
  });

  async function open(query: string): Promise<{ socket: WebSocket; messages: Message[] }> {
    const socket = new WebSocket(`${ws}?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const messages: Message[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
    await once(socket, 'open');
    return { socket, messages };
  }

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Message }> {
    const res = await fetch(`${http}${path}`, { method, headers: { 'x-api-key': ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: (await res.json()) as Message };
  }

  it('streams each campaign event to the clients whose filter takes it', async () => {
    // 9002 rings until the test answers it, so numbers can be appended while the campaign runs.
    let answer9002: ((text: string) => void) | undefined;
    nodes.fakes[0]!.onApi('originate', (args) => {
      const uuid = /origination_uuid=([0-9a-f-]+)/.exec(args)?.[1] ?? '';
      if (args.includes('/9001 ')) return '-ERR USER_BUSY\n';
      if (args.includes('/9002 ')) return new Promise<string>((resolve) => (answer9002 = resolve)).then((t) => t.replace('<uuid>', uuid));
      return `+OK ${uuid}\n`;
    });
    const all = await open('events=CALLOUT');
    const results9003 = await open('events=callout_result&extension=9003');
    const channelOnly = await open('events=CHANNEL_ANSWER');

    const started = await call('POST', '/api/v1/nacd/callouts', { numbers: ['9001', '9002'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 50, maxConcurrent: 1 });
    assert.equal(started.status, 201);
    const id = started.json.id as string;
    const byCampaign = await open(`uuid=${id}`);
    await waitFor(() => answer9002 !== undefined);
    const appended = await call('POST', `/api/v1/nacd/callouts/${id}/numbers`, { numbers: ['9003', '9004'] });
    assert.deepEqual([appended.status, appended.json], [200, { total: 4, appended: 2 }]);
    assert.equal((await call('POST', `/api/v1/nacd/callouts/${id}/numbers`, { numbers: ['9x'] })).status, 400);
    assert.equal((await call('POST', '/api/v1/nacd/callouts/0b0e5a6e-0000-4000-8000-000000000000/numbers', { numbers: ['1'] })).status, 404);
    answer9002!('+OK <uuid>\n');
    await waitFor(() => all.messages.some((m) => m.event === 'callout_done'));

    const outcomes = all.messages.filter((m) => m.event === 'callout_result').map((m) => [m.number, m.outcome]);
    assert.deepEqual(outcomes, [['9001', 'busy'], ['9002', 'answered'], ['9003', 'answered'], ['9004', 'answered']]);
    assert.deepEqual(all.messages[0], { source: 'callout', campaign_id: id, event: 'callout_started', total: 2 });
    const result = all.messages.find((m) => m.number === '9003')!;
    assert.deepEqual(Object.keys(result).sort(), ['campaign_id', 'event', 'number', 'outcome', 'source', 'timestamp', 'uuid']);
    assert.deepEqual(all.messages.at(-1), { source: 'callout', campaign_id: id, event: 'callout_done', state: 'done', results: 4, counts: { answered: 3, busy: 1, 'no-answer': 0, failed: 0, cancelled: 0 } });
    assert.deepEqual(results9003.messages.map((m) => [m.event, m.number]), [['callout_result', '9003']]);
    // uuid= the campaign id: every event of the campaign after the client connected; uuid= a call: its result only.
    assert.ok(byCampaign.messages.length >= 3 && byCampaign.messages.every((m) => m.campaign_id === id));
    const byCall = await open(`uuid=${result.uuid as string}`);
    assert.equal(channelOnly.messages.length, 0, 'a client asking for channel events gets no campaign events');

    // The outcome list over REST, two per page.
    const pages: unknown[][] = [];
    let cursor: unknown = '0';
    while (cursor !== null) {
      const page = await call('GET', `/api/v1/nacd/callouts/${id}?cursor=${String(cursor)}&limit=2`);
      assert.equal(page.status, 200);
      pages.push((page.json.results as { number: string }[]).map((r) => r.number));
      cursor = page.json.nextCursor;
    }
    assert.deepEqual(pages, [['9001', '9002'], ['9003', '9004']]);
    assert.equal((await call('GET', `/api/v1/nacd/callouts/${id}?cursor=-1`)).status, 400);
    assert.equal((await call('POST', `/api/v1/nacd/callouts/${id}/numbers`, { numbers: ['1'] })).status, 409);
    for (const c of [all, results9003, channelOnly, byCampaign, byCall]) c.socket.close();
    assert.equal(byCall.messages.length, 0, 'events of the past are not replayed');
  });

  it('takes 100,000 numbers in one body and refuses a body over the limit (400, body too large); documents the new route', async () => {
    const ringing: ((text: string) => void)[] = [];
    nodes.fakes[0]!.onApi('originate', () => new Promise<string>((resolve) => ringing.push(resolve))); // rings until stopped
    nodes.fakes[0]!.onApi('uuid_kill', () => {
      for (const reply of ringing.splice(0)) reply('-ERR ORIGINATOR_CANCEL\n');
      return '+OK\n';
    });
    const numbers = Array.from({ length: 100_000 }, (_, i) => `+${String(100_000_000_000_000_000_000_000n + BigInt(i))}`);
    const big = await call('POST', '/api/v1/nacd/callouts', { numbers, queue: 'support', gateway: 'gw1', callerId: '4000', ratePerSec: 1, maxConcurrent: 1 });
    assert.equal(big.status, 201, JSON.stringify(big.json).slice(0, 200));
    assert.equal(big.json.total, 100_000);
    const id = big.json.id as string;
    assert.equal((await call('DELETE', `/api/v1/nacd/callouts/${id}`)).status, 202);
    await services.callouts.idle();
    const over = Array.from({ length: 130_000 }, (_, i) => `+${String(100_000_000_000_000_000_000_000_000_000n + BigInt(i))}`);
    const tooBig = await call('POST', '/api/v1/nacd/callouts', { numbers: over, queue: 'support', gateway: 'gw1', callerId: '4000', ratePerSec: 1, maxConcurrent: 1 });
    assert.equal(tooBig.status, 400, JSON.stringify(tooBig.json));
    assert.match(JSON.stringify(tooBig.json), /body is too large/);
    const doc = (await (await fetch(`${http}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    assert.ok(doc.paths['/api/v1/nacd/callouts/{id}/numbers']?.post);
  });
});
