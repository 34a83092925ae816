/** Progress notifications: B-leg events only, each stage at most once and in order, retried. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { ProgressNotifier, stageOfEvent, type Stage } from '../../src/bridge/progress.js';
import { EslEvent } from '../../src/esl/event.js';
import { createLogger } from '../../src/logger.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhook/index.js';
import { startAppServer, type AppServer } from './app-server.js';

const A = 'aaaaaaaa-0000-0000-0000-000000000000';
const B = 'bbbbbbbb-0000-0000-0000-000000000000';
const call = { uuid: A, caller: '1000', callerName: 'Ext 1000', callee: '7000', direction: 'inbound', context: 'default' };

describe('stageOfEvent', () => {
  it('maps the B leg events; ignores the A leg and other calls', () => {
    const ev = (name: string, uuid: string, other?: string): EslEvent => new EslEvent(other === undefined ? { 'Event-Name': name, 'Unique-ID': uuid } : { 'Event-Name': name, 'Unique-ID': uuid, 'Other-Leg-Unique-ID': other });
    assert.equal(stageOfEvent(ev('CHANNEL_PROGRESS', B, A), A), 'ring');
    assert.equal(stageOfEvent(ev('CHANNEL_PROGRESS_MEDIA', B, A), A), 'progress');
    assert.equal(stageOfEvent(ev('CHANNEL_ANSWER', B, A), A), 'answer');
    assert.equal(stageOfEvent(ev('CHANNEL_HANGUP_COMPLETE', B, A), A), undefined);
    assert.equal(stageOfEvent(ev('CHANNEL_ANSWER', A, B), A), undefined, 'A leg carries Other-Leg-Unique-ID = B after the bridge');
    assert.equal(stageOfEvent(ev('CHANNEL_ANSWER', B, 'someone-else'), A), undefined);
    assert.equal(stageOfEvent(ev('CHANNEL_ANSWER', B), A), undefined);
  });
});

describe('ProgressNotifier', () => {
  let app: AppServer;
  let webhooks: WebhookClient;
  before(async () => {
    app = await startAppServer(() => ({ body: '{}' }), { failNotifications: 1 });
    webhooks = createWebhookClient({});
  });
  after(async () => {
    await webhooks.close(0);
    await app.close();
  });

  it('sends each stage at most once, in order, after a retry, without blocking the caller', async () => {
    const n = new ProgressNotifier({ webhooks, url: app.url, connectTimeoutMs: 1000, responseTimeoutMs: 1000, call, logger: createLogger('silent'), retry: { initialDelayMs: 10 } });
    // push() is synchronous: it returns whether the stage was queued, never a promise.
    const accepted = (['ring', 'ring', 'answer', 'progress', 'answer', 'hangup', 'ring'] as Stage[]).map((s) => n.push(s, { b_uuid: B }));
    assert.ok(accepted.every((a) => typeof a === 'boolean'), 'push returns at once');
    assert.deepEqual(accepted, [true, false, true, false, false, true, false]);
    await n.drain();
    assert.deepEqual(app.actions(A), ['ring', 'answer', 'hangup']);
    const ring = app.requests.find((r) => r['action'] === 'ring');
    assert.deepEqual([ring?.['uuid'], ring?.['b_uuid'], ring?.['caller'], ring?.['callee']], [A, B, '1000', '7000']);
  });

  it('property: whatever the event order, the accepted stages strictly increase', () => {
    const stages: Stage[] = ['ring', 'progress', 'answer', 'hangup'];
    const rank = (s: Stage): number => stages.indexOf(s);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...stages), { maxLength: 12 }), (pushed) => {
        const sent: Stage[] = [];
        const fakeClient = { request: async () => ({}) } as unknown as WebhookClient;
        const n = new ProgressNotifier({ webhooks: fakeClient, url: 'http://127.0.0.1:1/', connectTimeoutMs: 1, responseTimeoutMs: 1, call, logger: createLogger('silent') });
        for (const s of pushed) if (n.push(s)) sent.push(s);
        return sent.every((s, i) => i === 0 || rank(s) > rank(sent[i - 1] as Stage)) && new Set(sent).size === sent.length;
      }),
    );
  });

  it('an application that stays down: given up with one warn line, later stages still tried', async () => {
    const down = await startAppServer(() => ({ body: '{}' }), { failNotifications: 100 });
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const n = new ProgressNotifier({ webhooks, url: down.url, connectTimeoutMs: 500, responseTimeoutMs: 500, call, logger: createLogger('info', sink), retry: { attempts: 2, initialDelayMs: 5 } });
    n.push('ring');
    n.push('hangup');
    await n.drain();
    await down.close();
    assert.deepEqual(lines.filter((l) => l['level'] === 40).map((l) => [l['action'], l['attempts'], l['code']]), [['ring', 2, 'FREECTI_ERR_WEBHOOK_BAD_STATUS'], ['hangup', 2, 'FREECTI_ERR_WEBHOOK_BAD_STATUS']]);
  });
});
