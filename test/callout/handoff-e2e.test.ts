/**
 * nwaycallout end to end: a campaign dials a number (fake FreeSWITCH, inbound), the
 * originate's answered call runs the hand-off's inline dialplan, so FreeSWITCH (the fake's
 * outbound mode, `fake.dial`, with the recorded bridge events) brings it to freecti's
 * outbound socket carrying the variables the originate set; the nacd group's callflow (a
 * real webhook app) is asked, replies `bridge`, and the agent is bridged. Checked: the
 * group request's fields (direction outbound, event answered, the number dialled), the
 * bridge sent, the group's pushed events and the campaign's events (webhook and stream).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CalloutService, decodeCalloutEvent } from '../../src/callout/campaign.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import type { NacdResult } from '../../src/nacd/callflow.js';
import type { BridgeCall } from '../bridge/dial-call.js';
import { startFakeNodes, type FakeNodes } from '../cli-http/helpers.js';
import { startNacdHarness, type NacdHarness } from '../nacd/harness.js';
import { uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';

describe('an answered callout handed to a nacd group', () => {
  let h: NacdHarness;
  let nodes: FakeNodes;
  let app: TestApp;
  const bodies = (url: string): Record<string, unknown>[] => app.seen.filter((r) => r.url === url).map((r) => JSON.parse(r.body) as Record<string, unknown>);

  before(async () => {
    h = await startNacdHarness();
    nodes = await startFakeNodes('fs1');
    app = await startApp((req, res) => {
      if (req.url === '/callflow') return json(res, { action: 'bridge', action_data: { ad_number: '10002', ad_gateway: '', ad_timeout: 20 } });
      res.writeHead(204).end();
    });
    await h.groups.put('120', { callflowUrl: `${app.url}/callflow`, eventUrl: `${app.url}/event` });
  });

  after(async () => {
    await nodes.close();
    await app.close();
    await h.stop();
  });

  it('asks the group with direction outbound, event answered and the number; bridges its reply; pushes the events', async () => {
    const calls: Promise<{ fs: BridgeCall; result: NacdResult }>[] = [];
    let originate = '';
    nodes.fakes[0]!.onApi('originate', (args) => {
      originate = args;
      // What FreeSWITCH does once the callee answers: the {} variables are on the channel,
      // the inline dialplan's `set` adds nacd_group, `socket` dials freecti's outbound socket.
      const vars = Object.fromEntries((/^\{([^}]*)\}/.exec(args)?.[1] ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
      const handoff = /'set:nacd_group=([^,]+),socket:127\.0\.0\.1:8084 async full' inline$/.exec(args);
      assert.ok(handoff !== null, args);
      calls.push(h.call(handoff[1]!, { bridges: ['answered'], variables: { freecti_callout: vars.freecti_callout!, freecti_callout_number: vars.freecti_callout_number!, origination_caller_id_number: vars.origination_caller_id_number! } }));
      return `+OK ${vars.origination_uuid!}\n`;
    });
    const keys = new Keys(uniquePrefix('co-e2e'));
    const callouts = new CalloutService({
      redis: h.redis,
      keys,
      pool: nodes.pool,
      policy: new FsPolicy(),
      logger: createLogger('silent'),
      webhooks: h.webhooks,
      socket: '127.0.0.1:8084',
    });
    const started = await callouts.start({ numbers: ['13800001111'], group: '120', gateway: 'gw1', callerId: '4000', ratePerSec: 10, maxConcurrent: 1, eventUrl: `${app.url}/campaign` });
    await callouts.idle();
    assert.equal(calls.length, 1);
    const { fs, result } = await calls[0]!;

    assert.match(originate, /^\{origination_uuid=[0-9a-f-]+,origination_caller_id_number=4000,originate_timeout=30,ignore_early_media=true,freecti_callout=[0-9a-f-]+,freecti_callout_number=13800001111\}sofia\/gateway\/gw1\/13800001111 'set:nacd_group=120,socket:127\.0\.0\.1:8084 async full' inline$/);
    const [request] = bodies('/callflow');
    assert.deepEqual(
      { event: request?.event, direction: request?.direction, caller_number: request?.caller_number, callee_number: request?.callee_number, group_number: request?.group_number, middle_number: request?.middle_number, call_uuid: request?.call_uuid },
      { event: 'answered', direction: 'outbound', caller_number: '4000', callee_number: '13800001111', group_number: '120', middle_number: '', call_uuid: fs.aUuid },
    );
    assert.equal(fs.bridged.length, 1);
    assert.match(fs.bridged[0]!, /user\/10002$/);
    assert.equal(result.outcome, 'hungup');

    await waitFor(() => bodies('/event').some((e) => e.event === 'hangup') && bodies('/campaign').some((e) => e.event === 'callout_done'));
    const events = bodies('/event').filter((e) => e.call_uuid === fs.aUuid);
    assert.deepEqual(events.slice(0, 2).map((e) => [e.event, e.direction, e.callee_number]), [['callout', 'outbound', '13800001111'], ['answered', 'outbound', '13800001111']]);
    assert.equal(events.at(-1)?.event, 'hangup');
    const campaign = bodies('/campaign').map((e) => [e.event, e.outcome ?? e.state ?? e.total]);
    assert.deepEqual(campaign, [['callout_started', 1], ['callout_result', 'answered'], ['callout_done', 'done']]);
    // The same events, in order, in the stream every instance tails for its WebSocket clients.
    const streamed = (await h.redis.xrange(keys.calloutEvents(), '-', '+')).map(([id, fields]) => decodeCalloutEvent(id, fields)!);
    assert.deepEqual(streamed.map((e) => e.event), ['callout_started', 'callout_result', 'callout_done']);
    assert.ok(streamed.every((e) => e.campaign_id === started.id));
  });
});
