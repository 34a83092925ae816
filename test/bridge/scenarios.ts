/**
 * The events FreeSWITCH sends while a `bridge` runs, taken from the recordings of the
 * real FreeSWITCH (esl-events/): the B leg's events and the A leg's events between the
 * bridge's CHANNEL_EXECUTE and its CHANNEL_EXECUTE_COMPLETE (and the B leg's
 * HANGUP_COMPLETE, which may come after it), uuids rewritten to the test call's. The A
 * leg's own hangup events are left out: in the test the A leg lives until freecti hangs
 * it up. `congestion` (a gateway answering 503) and `invalid-gateway` are synthetic (no recording).
 */
import { randomUUID } from 'node:crypto';
import type { EslEvent, EventHeaders } from '../../src/esl/event.js';
import { bridgeComplete, recordedEvents } from '../linegroups/recorded.js';

/**
 * `caller-hangs-up`: the caller cancels while the callee rings (the bridge returns
 * ORIGINATOR_CANCEL); `answered-caller-hangs-up`: the callee answers, then the caller hangs
 * up, so the A leg goes down before the bridge completes (dial-call.ts does both).
 */
export type BridgeOutcomeName = 'answered' | 'busy' | 'unregistered' | 'congestion' | 'invalid-gateway' | 'caller-hangs-up' | 'answered-caller-hangs-up';

const FILES: Record<Exclude<BridgeOutcomeName, 'congestion' | 'invalid-gateway' | 'caller-hangs-up' | 'answered-caller-hangs-up'>, string> = {
  answered: 'esl-events/event-plain-all-register-call-answered-caller-hangup-unregister',
  busy: 'esl-events/event-plain-all-call-rejected-486-busy',
  unregistered: 'esl-events/event-plain-all-call-to-unregistered-user',
};

interface Recorded {
  aUuid: string;
  bUuid: string | undefined;
  events: EslEvent[];
}

const cache = new Map<string, Recorded>();

function recorded(file: string): Recorded {
  const hit = cache.get(file);
  if (hit !== undefined) return hit;
  const all = recordedEvents(file);
  const complete = bridgeComplete(all);
  const aUuid = complete.uuid ?? '';
  const start = all.findIndex((e) => e.name === 'CHANNEL_EXECUTE' && e.get('Application') === 'bridge');
  const completeAt = all.indexOf(complete);
  const bUuid = all.slice(start, completeAt).find((e) => e.uuid !== aUuid && e.get('Other-Leg-Unique-ID') === aUuid)?.uuid;
  const bHangupAt = all.findIndex((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === bUuid);
  const end = Math.max(completeAt, bHangupAt);
  const events = all
    .slice(start + 1, end + 1)
    .filter((e) => e.uuid === bUuid || (e.uuid === aUuid && e.name !== 'CHANNEL_HANGUP' && e.name !== 'CHANNEL_HANGUP_COMPLETE'));
  const entry = { aUuid, bUuid, events };
  cache.set(file, entry);
  return entry;
}

/** `k=v` pairs of the first `[...]` block of a dial string (the leg's own variables). */
export function legVariables(dialString: string): Record<string, string> {
  const match = /^(?:\{[^}]*\})?\[((?:[^\]\\]|\\.)*)\]/.exec(dialString);
  if (match === null) return {};
  const vars: Record<string, string> = {};
  for (const pair of (match[1] ?? '').split(/(?<!\\),/)) {
    const eq = pair.indexOf('=');
    if (eq > 0) vars[`variable_${pair.slice(0, eq)}`] = pair.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return vars;
}

export function bridgeScenario(outcome: BridgeOutcomeName, aUuid: string, dialString: string, exec: Readonly<Record<string, string>>): EventHeaders[] {
  const bUuid = randomUUID();
  const legVars = legVariables(dialString);
  if (outcome === 'caller-hangs-up' || outcome === 'answered-caller-hangs-up') return [];
  if (outcome === 'invalid-gateway') {
    // Synthetic: an unknown or down gateway fails the bridge before any B leg exists.
    return [{ 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', 'Unique-ID': aUuid, ...exec, 'Application-Response': '_none_', variable_originate_disposition: 'INVALID_GATEWAY', variable_DIALSTATUS: 'INVALIDARGS' }];
  }
  if (outcome === 'congestion') {
    const b = { 'Unique-ID': bUuid, 'Other-Leg-Unique-ID': aUuid, 'Call-Direction': 'outbound', ...legVars };
    return [
      { 'Event-Name': 'CHANNEL_HANGUP', ...b, 'Hangup-Cause': 'NORMAL_TEMPORARY_FAILURE' },
      { 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', ...b, 'Hangup-Cause': 'NORMAL_TEMPORARY_FAILURE', 'Caller-Channel-Answered-Time': '0', variable_sip_term_status: '503', variable_hangup_cause_q850: '41' },
      { 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', 'Unique-ID': aUuid, ...exec, 'Application-Response': '_none_', variable_originate_disposition: 'NORMAL_TEMPORARY_FAILURE', variable_DIALSTATUS: 'CONGESTION' },
    ];
  }
  const rec = recorded(FILES[outcome]);
  const rewrite = (value: string): string => {
    let out = value.split(rec.aUuid).join(aUuid);
    if (rec.bUuid !== undefined) out = out.split(rec.bUuid).join(bUuid);
    return out;
  };
  return rec.events.map((event) => {
    const headers: EventHeaders = {};
    for (const [name, value] of Object.entries(event.headers)) headers[name] = typeof value === 'string' ? rewrite(value) : value.map(rewrite);
    if (event.uuid === rec.aUuid && event.name === 'CHANNEL_EXECUTE_COMPLETE' && event.get('Application') === 'bridge') Object.assign(headers, exec);
    if (event.uuid === rec.bUuid) Object.assign(headers, legVars);
    return headers;
  });
}
