/**
 * FreeSWITCH's side of one call handed to freecti's outbound socket (`socket ... async
 * full`), scripted for cti_bridge tests. It dials our OutboundServer over real TCP, answers
 * `connect` with the RECORDED connect reply (esl-outbound) for a fresh A uuid plus the
 * test's channel variables, answers filter/event/linger like FreeSWITCH, applies the
 * subscription and the filters to what it sends, and runs `bridge` by replaying the
 * recorded events of a real bridge (answered call, 486 busy, unregistered user) with the
 * uuids rewritten, or a synthetic congested gateway (503). `sendmsg` hangup ends the call
 * with CHANNEL_HANGUP(_COMPLETE) and the recorded linger disconnect-notice.
 */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { EventHeaders } from '../../src/esl/event.js';
import { CommandReader, type ReceivedCommand } from '../fake-freeswitch/command-reader.js';
import { fsUrlEncode } from '../fake-freeswitch/fs-url-encode.js';
import { header } from '../fake-freeswitch/outbound-recording.js';
import { commandReply, eventFrame } from '../fake-freeswitch/serialise.js';
import { readEsl } from '../helpers/fixtures.js';
import { bridgeScenario, type BridgeOutcomeName } from './scenarios.js';

export interface ScriptedCallOptions {
  /** Channel variables added to the connect reply, e.g. { cti_bridge: 'http://... 3000 3000 1' }. */
  variables: Readonly<Record<string, string>>;
  /** What each `bridge` does, in order (the last one repeats). */
  bridges?: readonly BridgeOutcomeName[];
  /** The caller hangs up this many ms after `connect` (e.g. while the app is asked). */
  callerHangsUpAfterMs?: number;
}

export interface ScriptedCall {
  readonly aUuid: string;
  /** Every command freecti sent. */
  readonly commands: ReceivedCommand[];
  /** Dial strings freecti bridged. */
  readonly bridged: string[];
  /** Hangup causes freecti asked for. */
  readonly hangups: string[];
  /** Other apps freecti executed: `name arg`. */
  readonly executed: string[];
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
  const call = { aUuid, commands, bridged: [] as string[], hangups: [] as string[], executed: [] as string[] };
  let bridgeCount = 0;
  let hungUp = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);

  const write = (text: string): void => {
    if (!socket.destroyed) socket.write(text);
  };
  const send = (headers: EventHeaders): void => {
    const name = headers['Event-Name'] as string;
    const passes = filters.length === 0 || filters.some(([h, v]) => headers[h] === v);
    if ((subscribed.has(name) || subscribed.has('ALL')) && passes) write(eventFrame('plain', headers));
  };
  const aEvent = (name: string, extra: EventHeaders = {}): EventHeaders => ({ 'Event-Name': name, 'Unique-ID': aUuid, 'Call-Direction': 'inbound', ...extra });
  const hangup = (cause: string): void => {
    if (hungUp) return;
    hungUp = true;
    send(aEvent('CHANNEL_HANGUP', { 'Hangup-Cause': cause }));
    send(aEvent('CHANNEL_HANGUP_COMPLETE', { 'Hangup-Cause': cause }));
    write(`Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${aUuid}\nContent-Disposition: linger\nChannel-Name: sofia/internal/1000@127.0.0.1\nLinger-Time: -1\nContent-Length: 0\n\n`);
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
    } else {
      write(commandReply('-ERR command not found'));
    }
  };

  const onSendmsg = (command: ReceivedCommand): void => {
    if (hungUp) return write(commandReply('+OK'));
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
      return send(aEvent('CHANNEL_EXECUTE_COMPLETE', { ...exec, 'Application-Response': '_none_' }));
    }
    call.bridged.push(arg);
    const outcomes = options.bridges ?? ['answered'];
    const outcome = outcomes[Math.min(bridgeCount++, outcomes.length - 1)] ?? 'answered';
    for (const headers of bridgeScenario(outcome, aUuid, arg, exec)) send(headers);
    if (outcome === 'caller-hangs-up') setTimeout(() => hangup('NORMAL_CLEARING'), 50);
  };

  socket.on('connect', () => socket.setNoDelay(true));
  socket.on('data', (chunk: Buffer) => {
    for (const command of reader.push(chunk)) onCommand(command);
  });
  return { ...call, closed };
}
