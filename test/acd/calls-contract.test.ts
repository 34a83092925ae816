/**
 * The test switch (acd-switch.ts) against the esl-acd recordings: the replies it gives and
 * the channel events an inbound listener sees around an agent originate and the uuid_bridge
 * of a caller whose hold music plays are the recorded ones (names, applications, which leg),
 * run through the real call half.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EslEvent } from '../../src/esl/event.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { recordedEvents } from '../linegroups/recorded.js';
import { readEsl } from '../helpers/fixtures.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import { randomUUID } from 'node:crypto';
import { AcdSwitch } from './acd-switch.js';
import { startInstance } from './calls-rig.js';
import { agent, queue } from './helpers.js';

const BRIDGE = 'esl-acd/inbound-queue-caller-socket-closed-without-resume-moh-goes-on-uuid-bridge';
const FAILS = 'esl-acd/inbound-agent-originate-busy-and-no-answer';
const SHOWN = new Set(['CHANNEL_UNPARK', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_BRIDGE']);

/** From the agent's CHANNEL_PARK to the caller's CHANNEL_BRIDGE: `<role> <event> <application>`. */
function bridgeWindow(events: readonly EslEvent[], caller: string, leg: string): string[] {
  const start = events.findIndex((e) => e.uuid === leg && e.name === 'CHANNEL_PARK');
  const end = events.findIndex((e) => e.uuid === caller && e.name === 'CHANNEL_BRIDGE');
  assert.ok(start >= 0 && end > start, 'window found');
  return events
    .slice(start + 1, end + 1)
    .filter((e) => SHOWN.has(e.name) && (e.uuid === caller || e.uuid === leg))
    .map((e) => `${e.uuid === caller ? 'caller' : 'agent'} ${e.name} ${e.get('Application') ?? ''}`.trim());
}

/** The api/response bodies of a recording, in order. */
function apiBodies(stem: string): string[] {
  return EslDecoder.decodeAll(readEsl(stem)).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []));
}

describe('ACD test switch against the esl-acd recordings', () => {
  const fx = useRedis();
  let sw: AcdSwitch;
  before(async () => {
    sw = await AcdSwitch.start();
  });
  after(async () => {
    await sw.close();
  });

  it('uuid_bridge of a caller with music playing: the same events on the same legs, in the recorded order', async () => {
    const recorded = recordedEvents(BRIDGE);
    const recCaller = recorded.find((e) => e.name === 'CHANNEL_CREATE')?.uuid ?? '';
    const recLeg = recorded.find((e) => e.name === 'CHANNEL_OUTGOING')?.uuid ?? '';
    const expected = bridgeWindow(recorded, recCaller, recLeg);
    assert.deepEqual(expected.slice(0, 1), ['caller CHANNEL_EXECUTE_COMPLETE playback']);

    const i = await startInstance(sw, fx.redis, uniquePrefix('acdcontract'));
    const seen: EslEvent[] = [];
    const node = i.pool.nodes[0]!;
    node.on('event', (e) => seen.push(e));
    await node.subscribe(['ALL']);
    try {
      await queue(i.engine, 'c1', {});
      await agent(i.engine, '6001', {}, { c1: [1, 1] });
      const call = sw.caller(i.port, 'c1');
      await waitFor(() => sw.nowPlaying(call.uuid) === 'playback local_stream://moh');
      await i.engine.setAgentState('6001', 'available');
      await waitFor(() => seen.some((e) => e.uuid === call.uuid && e.name === 'CHANNEL_BRIDGE'));
      const leg = sw.bridges.find((b) => b.startsWith(call.uuid))?.split(' ')[1] ?? '';
      assert.deepEqual(bridgeWindow(seen, call.uuid, leg), expected);
      // The agent leg as recorded before the bridge: OUTGOING, ANSWER, the job, then park.
      const legNames = seen.filter((e) => e.uuid === leg && ['CHANNEL_OUTGOING', 'CHANNEL_ANSWER', 'CHANNEL_PARK'].includes(e.name)).map((e) => e.name);
      const recNames = recorded.filter((e) => e.uuid === recLeg && ['CHANNEL_OUTGOING', 'CHANNEL_ANSWER', 'CHANNEL_PARK'].includes(e.name)).map((e) => e.name);
      assert.deepEqual(legNames.slice(0, 4), recNames.slice(0, 4));
      await call.hangup();
    } finally {
      await i.stop();
    }
  });

  it('replies: uuid_break and uuid_kill +OK, uuid_bridge names the agent leg, a failed originate -ERR <cause>, as recorded', async () => {
    const norm = (texts: readonly string[]): string[] => texts.map((b) => b.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>'));
    // That recording's api commands: uuid_break, uuid_bridge, uuid_kill.
    const recorded = norm(apiBodies('esl-acd/inbound-queue-caller-moh-uuid-break-uuid-bridge-agent-hangs-up'));
    assert.deepEqual(recorded, ['+OK\n', '+OK <uuid>\n', '+OK\n']);
    const jobs = recordedEvents(FAILS).filter((e) => e.name === 'BACKGROUND_JOB').map((e) => e.body);
    assert.deepEqual(jobs, ['-ERR USER_BUSY\n', '-ERR NORMAL_TEMPORARY_FAILURE\n']);

    const i = await startInstance(sw, fx.redis, uniquePrefix('acdcontract'));
    const node = i.pool.nodes[0]!;
    try {
      await queue(i.engine, 'c2', {});
      const call = sw.caller(i.port, 'c2');
      await waitFor(() => sw.nowPlaying(call.uuid) === 'playback local_stream://moh');
      sw.script('6101', { kind: 'fail', cause: 'USER_BUSY' }, { kind: 'answer' });
      const busy = await (await node.bgapi('originate', `{origination_uuid=${randomUUID()}}user/6101 &park()`)).wait();
      const leg = randomUUID();
      const answered = await (await node.bgapi('originate', `{origination_uuid=${leg}}user/6101 &park()`)).wait();
      const got = norm([await node.api('uuid_break', `${call.uuid} all`), await node.api('uuid_bridge', `${call.uuid} ${leg}`), await node.api('uuid_kill', leg)]);
      assert.deepEqual(got, recorded);
      assert.equal(busy, jobs[0]);
      assert.equal(answered, `+OK ${leg}\n`);
      await waitFor(() => call.hangupCause !== undefined, 5000);
    } finally {
      await i.stop();
    }
  });
});
