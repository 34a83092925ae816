/**
 * FreeSWITCH's side of one call handed to freecti's outbound socket (`socket ... async
 * full`) for the cti_bridge tests, played by the fake FreeSWITCH's outbound mode
 * (test/fake-freeswitch/outbound-call.ts, held to the esl-outbound recordings): the connect
 * reply carries the test's channel variables; `bridge` fires the recorded events of a real
 * bridge (answered call, 486 busy, unregistered user; scenarios.ts) or a synthetic
 * congested / invalid gateway, with the uuids rewritten to this call's, and ends the way
 * mod_dptools does: a failed bridge hangs the caller up with its cause unless
 * `continue_on_fail` (set by a `set` execute) lets it go on. The channel's end and the
 * linger notice (both orders) are the fake's.
 */
import type { EventHeaders } from '../../src/esl/event.js';
import type { ReceivedCommand } from '../fake-freeswitch/command-reader.js';
import type { ExecuteResult, FakeFreeSwitch } from '../fake-freeswitch/index.js';
import type { LingerOrder } from '../fake-freeswitch/linger.js';
import { bridgeScenario, type BridgeOutcomeName } from './scenarios.js';

export interface BridgeCallOptions {
  /** Channel variables added to the connect reply, e.g. { cti_bridge: 'http://... 3000 3000 1' }. */
  variables: Readonly<Record<string, string>>;
  /** What each `bridge` does, in order (the last one repeats). */
  bridges?: readonly BridgeOutcomeName[];
  /** The caller hangs up this many ms after `connect` (e.g. while the app is asked). */
  callerHangsUpAfterMs?: number;
  /**
   * `api sofia_contact <arg>` answers this (FreeSWITCH's form: `sofia/<profile>/sip:<user>@<host:port>[;params]`,
   * comma separated for several registrations); default `error/user_not_registered` (what it answers for nobody).
   */
  sofiaContact?: (arg: string) => string;
  /** Whether the channel's last events come before or after the disconnect-notice (default: defaultLingerOrder()). */
  lingerOrder?: LingerOrder;
  /** The number the caller dialed (default the fake's 7000). */
  destinationNumber?: string;
}

export interface BridgeCall {
  readonly aUuid: string;
  /** Every command freecti sent. */
  readonly commands: readonly ReceivedCommand[];
  /** Dial strings freecti bridged. */
  readonly bridged: string[];
  /** Hangup causes freecti asked for. */
  readonly hangups: readonly string[];
  /** api commands freecti ran (`sofia_contact` and its argument). */
  readonly apis: string[];
  /** Other apps freecti executed: `name arg`. */
  readonly executed: string[];
  /** The cause the A leg ended with (whoever hung it up); undefined while it is up. */
  readonly aHangupCause: () => string | undefined;
  /** Resolves when the TCP connection closed. */
  readonly closed: Promise<void>;
}

/** Channel variables a `bridge` sets on the caller's leg. */
const BRIDGE_RESULT = /^(originate_disposition|DIALSTATUS|last_bridge_.+|bridge_.+|sip_term_.+|sip_hangup_.+|sip_invite_failure_.+|proto_specific_hangup_cause|endpoint_disposition)$/;

function value(headers: EventHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : v?.[0];
}

/** What one `bridge` does on the fake, from the recorded (or synthetic) events of `outcome`. */
function bridgeResult(outcome: BridgeOutcomeName, aUuid: string, arg: string, appUuid: string): ExecuteResult {
  if (outcome === 'caller-hangs-up') {
    // The caller cancels while the callee rings: the bridge returns ORIGINATOR_CANCEL.
    return { delayMs: 50, callerHangsUp: 'ORIGINATOR_CANCEL', variables: { originate_disposition: 'ORIGINATOR_CANCEL', DIALSTATUS: 'CANCEL' } };
  }
  const exec = { Application: 'bridge', 'Application-Data': arg, 'Application-UUID': appUuid };
  const events = bridgeScenario(outcome === 'answered-caller-hangs-up' ? 'answered' : outcome, aUuid, arg, exec);
  const isComplete = (e: EventHeaders): boolean => value(e, 'Unique-ID') === aUuid && value(e, 'Event-Name') === 'CHANNEL_EXECUTE_COMPLETE';
  const complete = events.find(isComplete);
  // The variables the bridge left on the A leg (not the recording dialplan's own, e.g. its continue_on_fail) go on the fake's completion.
  const variables: Record<string, string> = {};
  for (const [name, v] of Object.entries(complete ?? {})) {
    const variable = name.slice('variable_'.length);
    if (name.startsWith('variable_') && typeof v === 'string' && BRIDGE_RESULT.test(variable)) variables[variable] = v;
  }
  const disposition = variables['originate_disposition'];
  const succeeded = variables['DIALSTATUS'] === 'SUCCESS' || disposition === 'SUCCESS';
  const rest = events.filter((e) => !isComplete(e));
  const isLegEnd = (e: EventHeaders): boolean => value(e, 'Unique-ID') !== aUuid && value(e, 'Event-Name') === 'CHANNEL_HANGUP_COMPLETE';
  if (outcome === 'answered-caller-hangs-up') {
    // Callee answered, then the caller hangs up: the A leg goes down first, the bridge and the B leg end after it.
    const bHangupAt = rest.findIndex((e) => value(e, 'Unique-ID') !== aUuid && value(e, 'Event-Name') === 'CHANNEL_HANGUP');
    return { variables, events: rest.slice(0, bHangupAt), callerHangsUp: 'NORMAL_CLEARING', eventsAfter: rest.slice(bHangupAt) };
  }
  const during = rest.filter((e) => !isLegEnd(e));
  const after = rest.filter(isLegEnd);
  if (succeeded) return { variables, events: during, eventsAfter: after };
  return { variables, events: during, eventsAfter: after, fails: disposition ?? 'NORMAL_TEMPORARY_FAILURE' };
}

export function dialBridgeCall(fake: FakeFreeSwitch, port: number, options: BridgeCallOptions): BridgeCall {
  let bridgeCount = 0;
  const outcomes = options.bridges ?? ['answered'];
  const call = fake.dial(port, {
    variables: options.variables,
    ...(options.lingerOrder === undefined ? {} : { lingerOrder: options.lingerOrder }),
    ...(options.destinationNumber === undefined ? {} : { destinationNumber: options.destinationNumber }),
    onExecute: ({ app, arg, eventUuid }) => {
      if (app !== 'bridge') return undefined;
      const outcome = outcomes[Math.min(bridgeCount++, outcomes.length - 1)] ?? 'answered';
      return bridgeResult(outcome, call.uuid, arg, eventUuid);
    },
  });
  // The caller's registrations, as `sofia_contact` reports them (one fake per harness: the last call's answer).
  fake.onApi('sofia_contact', (arg) => options.sofiaContact?.(arg) ?? 'error/user_not_registered');
  if (options.callerHangsUpAfterMs !== undefined) {
    const after = options.callerHangsUpAfterMs;
    void fake.waitForCommand((c) => c.connection === call.connection.id && c.line === 'connect', 5000).then(() => {
      setTimeout(() => void call.hangup('NORMAL_CLEARING'), after);
    }, () => undefined);
  }
  return {
    aUuid: call.uuid,
    get commands() {
      return call.commands;
    },
    get bridged() {
      return call.executed.filter((e) => e.app === 'bridge').map((e) => e.arg);
    },
    get hangups() {
      return call.hangups;
    },
    get apis() {
      return call.commands.filter((c) => c.line.startsWith('api sofia_contact')).map((c) => c.line.slice(4));
    },
    get executed() {
      return call.executed.filter((e) => e.app !== 'bridge').map((e) => `${e.app} ${e.arg}`);
    },
    aHangupCause: () => call.hangupCause,
    closed: call.closed.then(() => undefined),
  };
}
