/**
 * FreeSWITCH's side of one `socket` call, scripted for control-mode tests: dials
 * freecti's outbound server, answers `connect` with the RECORDED connect reply
 * (esl-outbound/outbound-socket-answer-playback-hangup.esl, plus `variable_freecti_route`),
 * `myevents`/`linger`/`sendmsg` like FreeSWITCH (fixtures README observations 9-11), and
 * after a hangup sends CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE and the recorded linger
 * disconnect-notice, the notice before or after the last events (`lingerOrder`, see
 * ../fake-freeswitch/linger.ts). `onExecute` decides each application's result; a `bridge`
 * that fails (`bridgeFails`) hangs the caller up with its cause unless `continue_on_fail`
 * was set (by a `set` action), like FreeSWITCH.
 */
import { connect } from 'node:net';
import { readEsl } from '../helpers/fixtures.js';
import { CommandReader } from '../fake-freeswitch/command-reader.js';
import { continuesOnFail, defaultLingerOrder, lingerNotice, lingerSequence, type LingerOrder } from '../fake-freeswitch/linger.js';
import { commandReply, eventFrame } from '../fake-freeswitch/serialise.js';

export interface ExecuteResult {
  response?: string;
  variables?: Record<string, string>;
  /** The caller hangs up while this application runs. */
  callerHangsUp?: boolean;
  /** `bridge` only: the bridge fails with this cause (e.g. INVALID_GATEWAY, USER_BUSY). */
  bridgeFails?: string;
}

export interface PeerResult {
  uuid: string;
  executed: { app: string; arg: string }[];
  /** `sendmsg` hangup commands received. */
  hangups: string[];
  /** Who closed the socket first. */
  closedBy: 'freecti' | 'peer';
  /** The cause the channel ended with (whoever hung it up). */
  hangupCause?: string;
}

const recorded = readEsl('esl-outbound/outbound-socket-answer-playback-hangup');

function connectReply(routeId: string | undefined): { frame: string; uuid: string } {
  const first = recorded.subarray(0, recorded.indexOf('\n\n') + 2).toString('latin1');
  const uuid = /\nUnique-ID: ([0-9a-f-]+)\n/.exec(first)?.[1] ?? '';
  const extra = routeId === undefined ? '' : `variable_freecti_route: ${routeId}\n`;
  return { frame: first.replace('Content-Type: command/reply\n', `${extra}Content-Type: command/reply\n`), uuid };
}

export function callThroughSocket(
  port: number,
  routeId: string | undefined,
  onExecute: (app: string, arg: string) => ExecuteResult,
  lingerOrder: LingerOrder = defaultLingerOrder(),
): Promise<PeerResult> {
  const { frame, uuid } = connectReply(routeId);
  const socket = connect(port, '127.0.0.1');
  const reader = new CommandReader();
  const result: PeerResult = { uuid, executed: [], hangups: [], closedBy: 'freecti' };
  let ended = false;
  const variables = new Map<string, string>();
  const event = (headers: Record<string, string>): string => eventFrame('plain', { 'Unique-ID': uuid, ...headers });
  /** The channel goes down: its hangup, then `rest` and its HANGUP_COMPLETE, the notice before or after them. */
  const hangUp = (cause: string, rest: string[] = []): void => {
    if (ended) return;
    ended = true;
    result.hangupCause = cause;
    const notice = lingerNotice(uuid);
    const frames = lingerSequence(lingerOrder, {
      hangup: [event({ 'Event-Name': 'CHANNEL_HANGUP', 'Answer-State': 'hangup', 'Hangup-Cause': cause })],
      rest: [...rest, event({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', 'Answer-State': 'hangup', 'Hangup-Cause': cause })],
      notice,
    });
    const at = frames.indexOf(notice) + 1;
    socket.write(frames.slice(0, at).join(''));
    frames.slice(at).forEach((frame, i) => setTimeout(() => !socket.destroyed && socket.write(frame), 20 * (i + 1)));
  };
  return new Promise((resolve) => {
    socket.on('close', () => resolve(result));
    socket.on('error', () => undefined);
    socket.on('end', () => {
      if (!socket.destroyed) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      for (const command of reader.push(chunk)) {
        const verb = command.line.split(' ')[0];
        if (command.line === 'connect') socket.write(frame);
        else if (verb === 'myevents') socket.write(commandReply('+OK Events Enabled'));
        else if (verb === 'linger') socket.write(commandReply('+OK will linger'));
        else if (verb === 'sendmsg' && command.headers['call-command'] === 'hangup') {
          result.hangups.push(command.headers['hangup-cause'] ?? '');
          socket.write(commandReply('+OK'));
          hangUp(command.headers['hangup-cause'] ?? 'NORMAL_CLEARING');
        } else if (verb === 'sendmsg') {
          const app = command.headers['execute-app-name'] ?? '';
          const arg = command.headers['execute-app-arg'] ?? command.body ?? '';
          result.executed.push({ app, arg });
          socket.write(commandReply('+OK'));
          const outcome = onExecute(app, arg);
          const assignment = /^([^=\s]+)=(.*)$/s.exec(arg);
          if (app === 'set' && assignment !== null) variables.set(assignment[1] ?? '', assignment[2] ?? '');
          const failed = app === 'bridge' ? outcome.bridgeFails : undefined;
          const dropsCaller = failed !== undefined && !continuesOnFail(variables.get('continue_on_fail'), failed);
          const hangup = app === 'hangup' || outcome.callerHangsUp === true || dropsCaller;
          const headers: Record<string, string> = {
            'Event-Name': 'CHANNEL_EXECUTE_COMPLETE',
            'Unique-ID': uuid,
            'Answer-State': hangup ? 'hangup' : 'answered',
            Application: app,
            'Application-Data': arg,
            'Application-Response': outcome.response ?? '_none_',
            'Application-UUID': command.headers['Event-UUID'] ?? 'no-event-uuid',
          };
          if (failed !== undefined) headers['variable_originate_disposition'] = failed;
          for (const [name, value] of Object.entries(outcome.variables ?? {})) headers[`variable_${name}`] = value;
          const complete = eventFrame('plain', headers);
          if (!hangup) socket.write(complete);
          // mod_dptools hangs the caller up inside the bridge, before its completion; a hangup
          // app or a caller hanging up during the app likewise go down before it completes.
          else hangUp(failed ?? (app === 'hangup' ? arg.trim() || 'NORMAL_CLEARING' : 'NORMAL_CLEARING'), [complete]);
        } else socket.write(commandReply('-ERR command not found'));
      }
    });
    socket.on('close', () => {
      if (!ended) result.closedBy = 'freecti';
    });
  });
}
