/**
 * FreeSWITCH's side of one call handed to freecti's outbound socket (`socket ... async
 * full`), scripted for cti_bridge tests. It dials our OutboundServer over real TCP, answers
 * `connect` with the RECORDED connect reply (esl-outbound) for a fresh A uuid plus the
 * test's channel variables, answers filter/event/linger like FreeSWITCH, applies the
 * subscription and the filters to what it sends, and runs `bridge` by replaying the
 * recorded events of a real bridge (answered call, 486 busy, unregistered user) with the
 * uuids rewritten, or a synthetic congested gateway (503). `sendmsg` hangup ends the call
 * with CHANNEL_HANGUP(_COMPLETE) and the recorded linger disconnect-notice.
 *
 * Like FreeSWITCH (../fake-freeswitch/linger.ts): a failed `bridge` hangs the caller up with
 * the bridge's cause unless `continue_on_fail` (set by a `set` execute) lets it go on; when
 * the channel ends, its remaining events (the bridge's completion, the legs' and its own
 * CHANNEL_HANGUP_COMPLETE) come before or after the disconnect-notice per `lingerOrder`.
 */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { EventHeaders } from '../../src/esl/event.js';
import { CommandReader, type ReceivedCommand } from '../fake-freeswitch/command-reader.js';
import { fsUrlEncode } from '../fake-freeswitch/fs-url-encode.js';
import { header } from '../fake-freeswitch/outbound-recording.js';
import { continuesOnFail, defaultLingerOrder, lingerNotice, lingerSequence, type LingerOrder } from '../fake-freeswitch/linger.js';
import { apiResponse, commandReply, eventFrame } from '../fake-freeswitch/serialise.js';
import { readEsl } from '../helpers/fixtures.js';
import { bridgeScenario, type BridgeOutcomeName } from './scenarios.js';

export interface ScriptedCallOptions {
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
}

export interface ScriptedCall {
  readonly aUuid: string;
  /** Every command freecti sent. */
  readonly commands: ReceivedCommand[];
  /** Dial strings freecti bridged. */
  readonly bridged: string[];
  /** Hangup causes freecti asked for. */
  readonly hangups: string[];
  /** api commands freecti ran (`sofia_contact` and its argument). */
  readonly apis: string[];
  /** Other apps freecti executed: `name arg`. */
  readonly executed: string[];
  /** The cause the A leg ended with (whoever hung it up); undefined while it is up. */
  readonly aHangupCause: () => string | undefined;
  /** Resolves when the TCP connection closed. */
  readonly closed: Promise<void>;
}

const RECORDED_CONNECT = readEsl('esl-outbound/outbound-socket-answer-playback-hangup').toString('latin1');
const RECORDED_A = 'a551af89-2dd9-4b8b-bc3b-bfb81f8ffbbe';

export function dialScriptedCall(port: number, options: ScriptedCallOptions): ScriptedCall {
  const aUuid = randomUUID();
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  const reader = new CommandReader();
  const commands: ReceivedCommand[] = [];
  const subscribed = new Set<string>();
  const filters: [string, string][] = [];
  const call = { aUuid, commands, bridged: [] as string[], hangups: [] as string[], executed: [] as string[], apis: [] as string[] };
  const order = options.lingerOrder ?? defaultLingerOrder();
  // The channel's variables as FreeSWITCH holds them (continue_on_fail set before `socket` counts), then `set` executions.
  const channelVars = new Map<string, string>(Object.entries(options.variables));
  let bridgeCount = 0;
  let hungUp: string | undefined;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);

  const write = (text: string): void => {
    if (!socket.destroyed) socket.write(text);
  };
  const frameOf = (headers: EventHeaders): string => {
    const name = headers['Event-Name'] as string;
    const passes = filters.length === 0 || filters.some(([h, v]) => headers[h] === v);
    return (subscribed.has(name) || subscribed.has('ALL')) && passes ? eventFrame('plain', headers) : '';
  };
  const send = (headers: EventHeaders): void => write(frameOf(headers));
  const aEvent = (name: string, extra: EventHeaders = {}): EventHeaders => ({ 'Event-Name': name, 'Unique-ID': aUuid, 'Call-Direction': 'inbound', ...extra });
  /** The A leg goes down with `cause`; `rest` are the events still due (completions, leg hangups). */
  const hangup = (cause: string, rest: readonly EventHeaders[] = []): void => {
    if (hungUp !== undefined) return;
    hungUp = cause;
    const notice = lingerNotice(aUuid);
    const frames = lingerSequence(order, {
      hangup: [frameOf(aEvent('CHANNEL_HANGUP', { 'Hangup-Cause': cause }))],
      rest: [...rest, aEvent('CHANNEL_HANGUP_COMPLETE', { 'Hangup-Cause': cause })].map(frameOf),
      notice,
    });
    // What follows the notice comes later, in its own writes (FreeSWITCH's other threads).
    const at = frames.indexOf(notice) + 1;
    write(frames.slice(0, at).join(''));
    frames.slice(at).forEach((frame, i) => setTimeout(() => write(frame), 20 * (i + 1)));
  };

  const onCommand = (command: ReceivedCommand): void => {
    commands.push(command);
    const [verb = '', ...rest] = command.line.split(' ');
    if (verb === 'connect') {
      const block = RECORDED_CONNECT.slice(0, RECORDED_CONNECT.indexOf('\n\n') + 1).split(RECORDED_A).join(aUuid);
      const vars = Object.entries(options.variables).map(([k, v]) => `variable_${k}: ${fsUrlEncode(v)}\n`).join('');
      write(block.replace('Content-Type: command/reply\n', `${vars}Content-Type: command/reply\n`) + '\n');
      if (options.callerHangsUpAfterMs !== undefined) setTimeout(() => hangup('NORMAL_CLEARING'), options.callerHangsUpAfterMs);
    } else if (verb === 'filter') {
      filters.push([rest[0] ?? '', rest.slice(1).join(' ')]);
      write(commandReply(`+OK filter added. [${rest[0]}]=[${rest.slice(1).join(' ')}]`));
    } else if (verb === 'event') {
      for (const name of rest.slice(1)) subscribed.add(name);
      write(commandReply('+OK event listener enabled plain'));
    } else if (verb === 'linger') {
      write(commandReply('+OK will linger'));
    } else if (verb === 'sendmsg') {
      onSendmsg(command);
    } else if (verb === 'api' && rest[0] === 'sofia_contact') {
      call.apis.push(command.line.slice(4));
      write(apiResponse(options.sofiaContact?.(rest.slice(1).join(' ')) ?? 'error/user_not_registered'));
    } else {
      write(commandReply('-ERR command not found'));
    }
  };

  const onSendmsg = (command: ReceivedCommand): void => {
    if (hungUp !== undefined) return write(commandReply('+OK'));
    write(commandReply('+OK'));
    if (header(command, 'call-command') === 'hangup') {
      const cause = header(command, 'hangup-cause') ?? 'NORMAL_CLEARING';
      call.hangups.push(cause);
      return hangup(cause);
    }
    const app = header(command, 'execute-app-name') ?? '';
    const arg = header(command, 'execute-app-arg') ?? command.body ?? '';
    const appUuid = header(command, 'Event-UUID') ?? randomUUID();
    const exec = { Application: app, 'Application-Data': arg, 'Application-UUID': appUuid };
    send(aEvent('CHANNEL_EXECUTE', exec));
    if (app !== 'bridge') {
      call.executed.push(`${app} ${arg}`);
      const assignment = /^([^=\s]+)=(.*)$/s.exec(arg);
      if (app === 'set' && assignment !== null) channelVars.set(assignment[1] ?? '', assignment[2] ?? '');
      return send(aEvent('CHANNEL_EXECUTE_COMPLETE', { ...exec, 'Application-Response': '_none_' }));
    }
    call.bridged.push(arg);
    const outcomes = options.bridges ?? ['answered'];
    const outcome = outcomes[Math.min(bridgeCount++, outcomes.length - 1)] ?? 'answered';
    runBridge(outcome, arg, exec);
  };

  /** One `bridge`: the recorded events, and the caller's end where FreeSWITCH would end it. */
  const runBridge = (outcome: BridgeOutcomeName, arg: string, exec: Readonly<Record<string, string>>): void => {
    if (outcome === 'caller-hangs-up') {
      // The caller cancels while the callee rings: the bridge returns ORIGINATOR_CANCEL.
      const complete = aEvent('CHANNEL_EXECUTE_COMPLETE', { ...exec, 'Application-Response': '_none_', variable_originate_disposition: 'ORIGINATOR_CANCEL', variable_DIALSTATUS: 'CANCEL' });
      setTimeout(() => hangup('ORIGINATOR_CANCEL', [complete]), 50);
      return;
    }
    const events = bridgeScenario(outcome === 'answered-caller-hangs-up' ? 'answered' : outcome, aUuid, arg, exec);
    const isComplete = (e: EventHeaders): boolean => e['Unique-ID'] === aUuid && e['Event-Name'] === 'CHANNEL_EXECUTE_COMPLETE';
    const complete = events.find(isComplete);
    const dispositionValue = complete?.['variable_originate_disposition'];
    const disposition = Array.isArray(dispositionValue) ? dispositionValue[0] : dispositionValue;
    const succeeded = complete?.['variable_DIALSTATUS'] === 'SUCCESS' || disposition === 'SUCCESS';
    if (outcome === 'answered-caller-hangs-up') {
      // Callee answered, then the caller hangs up: the A leg goes down first, the bridge and the B leg end after it.
      const bHangupAt = events.findIndex((e) => e['Unique-ID'] !== aUuid && e['Event-Name'] === 'CHANNEL_HANGUP');
      const before = events.slice(0, bHangupAt).filter((e) => !isComplete(e));
      const rest = [...events.slice(bHangupAt).filter((e) => !isComplete(e) && e['Event-Name'] !== 'CHANNEL_HANGUP_COMPLETE'), ...(complete === undefined ? [] : [complete]), ...events.slice(bHangupAt).filter((e) => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE')];
      for (const headers of before) send(headers);
      hangup('NORMAL_CLEARING', rest);
      return;
    }
    const cause = disposition ?? 'NORMAL_TEMPORARY_FAILURE';
    if (succeeded || continuesOnFail(channelVars.get('continue_on_fail'), cause)) {
      for (const headers of events) send(headers);
      return;
    }
    // mod_dptools: a failed bridge without continue_on_fail hangs the caller up with its cause,
    // before the bridge's CHANNEL_EXECUTE_COMPLETE.
    const completeAt = complete === undefined ? events.length : events.indexOf(complete);
    const before = events.slice(0, completeAt).filter((e) => e['Event-Name'] !== 'CHANNEL_HANGUP_COMPLETE' || e['Unique-ID'] === aUuid);
    const rest = [...(complete === undefined ? [] : [complete]), ...events.filter((e) => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE' && e['Unique-ID'] !== aUuid)];
    for (const headers of before) send(headers);
    hangup(cause, rest);
  };

  socket.on('connect', () => socket.setNoDelay(true));
  socket.on('data', (chunk: Buffer) => {
    for (const command of reader.push(chunk)) onCommand(command);
  });
  return { ...call, aHangupCause: () => hungUp, closed };
}
