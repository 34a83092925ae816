/**
 * The nacd reply fields one by one and every failure (invalid, late, unreachable, refused,
 * too many requests, unknown group): a real HTTP application, the fake FreeSWITCH's
 * outbound mode with the recorded bridges, a real Redis.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { verifySignature } from '../../src/webhook/index.js';
import { json, startApp, type SeenRequest, type TestApp } from '../webhook/http-app.js';
import { startNacdHarness, type NacdHarness } from './harness.js';

const SECRET = 'nacd-test-secret-0123456789';
type Reply = Record<string, unknown> | string;

describe('nacd replies and failures', () => {
  let h: NacdHarness;
  let app: TestApp;
  /** Replies in order (the last one repeats); a string is sent as is. */
  let replies: Reply[] = [];
  let delayMs = 0;
  const callflow = (): SeenRequest[] => app.seen.filter((r) => r.url === '/callflow');
  const events = (uuid: string): Record<string, unknown>[] =>
    app.seen.filter((r) => r.url === '/event').map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((e) => e['call_uuid'] === uuid);
  const bodies = (): Record<string, unknown>[] => callflow().map((r) => JSON.parse(r.body) as Record<string, unknown>);
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 100 && h.webhooks.pendingNotifications() > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  before(async () => {
    h = await startNacdHarness();
    app = await startApp((req, res) => {
      if (req.url === '/event') return void res.writeHead(200).end();
      const n = callflow().length;
      const reply = replies[Math.min(n - 1, replies.length - 1)] ?? {};
      setTimeout(() => (typeof reply === 'string' ? res.writeHead(200, { 'content-type': 'application/json' }).end(reply) : json(res, reply)), delayMs);
    });
    await h.groups.put('200', { callflowUrl: `${app.url}/callflow`, eventUrl: `${app.url}/event`, secret: SECRET, connectTimeoutMs: 300, responseTimeoutMs: 300, maxRequests: 4 });
    await h.groups.put('201', { callflowUrl: `${app.url}/callflow`, fallback: { type: 'queue', queue: 'support', priority: 7 } });
    await h.groups.put('202', { callflowUrl: `${app.url}/callflow`, fallback: { type: 'hangup', prompt: 'sorry.wav' } });
    await h.resolver.store.put('lines', { maxAttempts: 1, lines: [{ id: 'a', gateway: 'gw-a', priority: 1 }] });
    h.fake.onExecute('play_and_get_digits', () => ({ variables: { nacd_dtmf: '7' } }));
  });
  after(async () => {
    await app.close();
    await h.stop();
  });
  beforeEach(() => {
    app.seen.length = 0;
    replies = [];
    delayMs = 0;
  });

  describe('fallback: one warn line, a prompt and hangup (never silence)', () => {
    const fallsBack = async (group: string, code: string, asked: number, prompt = 'ivr/ivr-call_cannot_be_completed_as_dialed.wav'): Promise<string[]> => {
      const { fs, result } = await h.call(group);
      assert.equal(result.outcome, 'fallback');
      assert.equal(result.error?.code, code);
      assert.equal(fs.executed.at(-1), `playback ${prompt}`);
      assert.ok(fs.executed.includes('answer '));
      assert.deepEqual(fs.hangups, ['NORMAL_CLEARING']);
      assert.equal(h.warns(fs.aUuid).length, 1, JSON.stringify(h.warns(fs.aUuid)));
      assert.equal(callflow().length, asked);
      return fs.executed;
    };
    it('not JSON', async () => {
      replies = ['not json'];
      await fallsBack('200', 'FREECTI_ERR_WEBHOOK_BAD_REPLY', 1);
    });
    it("the Go server's zero reply (an empty action)", async () => {
      replies = [{ uuid: '', caller: '', callee: '', action: '', action_data: null, dtmf_len: 0, use_survey: false, survey_ring: null, associate_data: null }];
      await fallsBack('200', 'FREECTI_ERR_WEBHOOK_BAD_REPLY', 1);
    });
    it('too late (responseTimeoutMs)', async () => {
      replies = [{ action: 'hangup' }];
      delayMs = 2500;
      await fallsBack('200', 'FREECTI_ERR_WEBHOOK_TIMEOUT', 1);
    });
    it('a file the policy refuses: nothing of the reply runs', async () => {
      replies = [{ action: 'dtmf', dtmf_len: 1, dtmf_audio: '../../etc/passwd' }];
      const executed = await fallsBack('200', 'FREECTI_ERR_WEBHOOK_BAD_REPLY', 1);
      assert.ok(!executed.some((e) => e.startsWith('play_and_get_digits')));
    });
    it('a bridge to a number that is not one', async () => {
      replies = [{ action: 'bridge', action_data: { ad_number: '1000;evil' } }];
      const executed = await fallsBack('200', 'FREECTI_ERR_WEBHOOK_BAD_REPLY', 1);
      assert.ok(!executed.some((e) => e.startsWith('set ')));
    });
    it('fields a reply gets wrong: ad_timeout, after_bridge, dtmf_len, a playback without ad_rings, a transfer out of the allowed names', async () => {
      for (const reply of [
        { action: 'bridge', action_data: { ad_number: '10002', ad_timeout: 'soon' } },
        { action: 'bridge', action_data: { ad_number: '10002' }, after_bridge: 'speak', after_bridge_data: 'hello' },
        { action: 'dtmf', dtmf_len: 0, dtmf_audio: 'menu.wav' },
        { action: 'dtmf', dtmf_len: '3x', dtmf_audio: 'menu.wav' },
        // A space would shift play_and_get_digits' arguments ('x' as the bad-entry file, 'y' as the variable).
        { action: 'dtmf', dtmf_len: 1, dtmf_audio: 'menu.wav x', dtmf_bad_audio: 'y' },
        { action: 'playback', action_data: {} },
        { action: 'transfer', action_data: { ad_number: '8000', ad_context: 'a b' } },
        { action: 'queue', action_data: { ad_queue: 'sales', ad_priority: '500' } },
      ]) {
        replies = [reply];
        app.seen.length = 0;
        const executed = await fallsBack('200', 'FREECTI_ERR_WEBHOOK_BAD_REPLY', 1);
        assert.ok(!executed.some((e) => /^(set|transfer|play_and_get_digits)/.test(e)), JSON.stringify(reply));
      }
    });
    it('more requests than the group allows (a playback loop)', async () => {
      replies = [{ action: 'playback', action_data: { ad_rings: 'again.wav' } }];
      await fallsBack('200', 'FREECTI_ERR_WEBHOOK_BAD_REPLY', 4);
    });
    it("the group's own prompt", async () => {
      replies = ['[]'];
      await fallsBack('202', 'FREECTI_ERR_WEBHOOK_BAD_REPLY', 1, 'sorry.wav');
    });
    it('a group number with no group: the config fallback, nothing asked', async () => {
      await fallsBack('999', 'FREECTI_ERR_NACD_GROUP_NOT_FOUND', 0);
    });
    it('unreachable', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as { port: number }).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      await h.groups.put('203', { callflowUrl: `http://127.0.0.1:${port}/callflow` });
      await fallsBack('203', 'FREECTI_ERR_WEBHOOK_UNREACHABLE', 0);
    });
    it("a queue fallback hands the caller to the ACD's entry", async () => {
      replies = ['{"action": "fly"}'];
      const { fs, result } = await h.call('201');
      assert.equal(result.outcome, 'fallback');
      assert.deepEqual(h.queued.at(-1), { uuid: fs.aUuid, request: { queue: 'support', priority: 7 } });
      assert.equal(h.warns(fs.aUuid).length, 1);
    });
  });

  it('signed requests and events (X-Freecti-Signature with the group secret), one X-Request-Id per event', async () => {
    replies = [{ action: 'hangup' }];
    const { fs } = await h.call('200');
    await settle();
    const all = app.seen.filter((r) => r.body.includes(fs.aUuid));
    assert.equal(all.length, 3);
    for (const r of all) {
      const ok = verifySignature({ secret: SECRET, timestamp: r.headers['x-freecti-timestamp'] as string, signature: r.headers['x-freecti-signature'] as string, payload: r.body });
      assert.ok(ok, r.url);
    }
    assert.deepEqual(events(fs.aUuid).map((e) => e['event']), ['incoming', 'hangup']);
  });

  it('associate_data is carried into every later request and event', async () => {
    replies = [{ action: 'dtmf', dtmf_len: 1, dtmf_audio: 'menu.wav', associate_data: { ticket: 7, who: 'vip' } }, { action: 'hangup' }];
    const { fs } = await h.call('200');
    await settle();
    assert.deepEqual(bodies().map((b) => [b['event'], b['dtmf'], b['additional_data']]), [['incoming', '', {}], ['dtmf', '7', { ticket: 7, who: 'vip' }]]);
    assert.deepEqual(events(fs.aUuid).map((e) => [e['event'], e['additional_data']]), [['incoming', {}], ['dtmf', { ticket: 7, who: 'vip' }], ['hangup', { ticket: 7, who: 'vip' }]]);
    // No dtmf_bad_audio: a short silence between tries.
    assert.ok(fs.executed.includes('play_and_get_digits 1 1 3 5000 # menu.wav silence_stream://250 nacd_dtmf \\d{1}'), fs.executed.join(' | '));
  });

  it('bridge: ad_gateway a gateway, ad_display_number, ad_timeout, ad_data on the agent leg, after_bridge_data a file', async () => {
    replies = [{ action: 'bridge', action_data: { ad_number: '95555', ad_gateway: 'carrier1', ad_display_number: '4008001234', ad_timeout: '20', ad_data: 'order 42' }, after_bridge: 'playback', after_bridge_data: 'agent/intro.wav' }];
    const { fs, result } = await h.call('200', { bridges: ['answered'] });
    assert.equal(result.outcome, 'hungup');
    assert.deepEqual(fs.bridged, ['{leg_timeout=20,origination_caller_id_number=4008001234,nacd_ad_data=order 42}sofia/gateway/carrier1/95555']);
    assert.ok(fs.executed.includes('set bridge_pre_execute_aleg_data=agent/intro.wav'));
    // No survey asked for: the call ends when the bridge does.
    assert.ok(!fs.executed.some((e) => e.startsWith('play_and_get_digits')));
  });

  it('bridge: ad_gateway naming a line group dials its lines; no after_bridge clears an earlier one', async () => {
    replies = [{ action: 'bridge', action_data: { ad_number: '5551234', ad_gateway: 'lines' } }];
    const { fs } = await h.call('200', { bridges: ['answered'] });
    assert.deepEqual(fs.bridged.map((d) => d.replace(/^.*\]/, '').replace(/^\{[^}]*\}/, '')), ['sofia/gateway/gw-a/5551234']);
    assert.ok(fs.executed.includes('unset bridge_pre_execute_aleg_app'));
  });

  it('the caller hangs up while the application thinks: nothing runs, event canceled, no warn line', async () => {
    replies = [{ action: 'hangup', action_data: { ad_rings: 'bye.wav' } }];
    delayMs = 250;
    const { fs, result } = await h.call('200', { callerHangsUpAfterMs: 40 });
    await settle();
    assert.equal(result.outcome, 'caller-gone');
    assert.deepEqual([fs.executed, fs.hangups], [['unset nacd_group'], []]);
    assert.deepEqual(events(fs.aUuid).map((e) => e['event']), ['incoming', 'canceled']);
    assert.equal(h.warns(fs.aUuid).length, 0);
  });

  it("nacd_group=@dialed (migrate-dialplan's nacd without a group): the group is the dialed number, read from the call's data", async () => {
    replies = [{ action: 'hangup', action_data: {} }];
    const { fs, result } = await h.call('@dialed', { destinationNumber: '200' });
    assert.equal(result.outcome, 'hungup');
    assert.equal(bodies()[0]?.['group_number'], '200');
    assert.deepEqual(fs.executed.slice(0, 1), ['unset nacd_group']);
    // A dialed number that is no group name (e.g. a REFER's text) is refused as data: the fallback prompt, nothing expanded.
    const other = await h.call('@dialed', { destinationNumber: '${expr(6*7)}' });
    assert.equal(other.result.outcome, 'fallback');
    assert.equal(other.result.error?.code, 'FREECTI_ERR_BAD_REQUEST');
    assert.ok(!other.fs.executed.some((e) => e.includes('expr')));
    assert.equal(other.fs.executed.at(-1), 'playback ivr/ivr-call_cannot_be_completed_as_dialed.wav');
  });

  it('queue (freecti addition): ad_queue, ad_priority, ad_skills go to the ACD entry', async () => {
    replies = [{ action: 'queue', action_data: { ad_queue: 'sales', ad_priority: '9', ad_skills: 'en:3,fr:1' } }];
    const { fs, result } = await h.call('200');
    assert.equal(result.outcome, 'queued');
    assert.deepEqual(h.queued.at(-1), { uuid: fs.aUuid, request: { queue: 'sales', priority: 9, skills: { en: 3, fr: 1 } } });
    await settle();
    // The ACD bridged the caller to an agent (the harness's entry says so): the last event is hangup.
    assert.deepEqual(events(fs.aUuid).map((e) => e['event']), ['incoming', 'hangup']);
  });

  it('queue: the ACD says bridged while the caller talks to the agent; the call ending later pushes hangup', async () => {
    replies = [{ action: 'queue', action_data: { ad_queue: 'sales' } }];
    h.queueReturnsWhileTalking = true;
    try {
      const { fs, result } = await h.call('200');
      assert.equal(result.outcome, 'queued');
      await settle();
      assert.deepEqual(events(fs.aUuid).map((e) => e['event']), ['incoming', 'hangup']);
    } finally {
      h.queueReturnsWhileTalking = false;
    }
  });

  it('transfer (freecti addition): transfer_ring, then the extension in the context', async () => {
    replies = [{ action: 'transfer', action_data: { ad_number: '8000', ad_context: 'agents' }, transfer_ring: 'transfer_ring.wav' }];
    const { fs, result } = await h.call('200');
    assert.equal(result.outcome, 'transferred');
    assert.deepEqual(fs.executed.slice(1), ['answer ', 'playback transfer_ring.wav', 'transfer 8000 XML agents']);
  });

  it('counted: freecti_nacd_calls_total by outcome', async () => {
    const counts = async (): Promise<Record<string, number>> =>
      Object.fromEntries(((await h.registry.getSingleMetric('freecti_nacd_calls_total')?.get())?.values ?? []).map((v) => [String(v.labels['outcome']), v.value]));
    const before = await counts();
    replies = [{ action: 'hangup' }];
    await h.call('200');
    const now = await counts();
    assert.equal((now['hungup'] ?? 0) - (before['hungup'] ?? 0), 1);
  });
});
