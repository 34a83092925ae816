/**
 * FreeSWITCH's side of one `socket` call, scripted for control-mode tests: dials
 * freecti's outbound server, answers `connect` with the RECORDED connect reply
 * (esl-outbound/outbound-socket-answer-playback-hangup.esl, plus `variable_freecti_route`),
 * `myevents`/`linger`/`sendmsg` like FreeSWITCH (fixtures README observations 9-11), and
 * after a hangup sends the recorded linger disconnect-notice. `onExecute` decides each
 * application's result.
 */
import { connect } from 'node:net';
import { readEsl } from '../helpers/fixtures.js';
import { CommandReader } from '../fake-freeswitch/command-reader.js';
import { commandReply, eventFrame } from '../fake-freeswitch/serialise.js';

export interface ExecuteResult {
  response?: string;
  variables?: Record<string, string>;
  /** The caller hangs up while this application runs. */
  callerHangsUp?: boolean;
}

export interface PeerResult {
  uuid: string;
  executed: { app: string; arg: string }[];
  /** `sendmsg` hangup commands received. */
  hangups: string[];
  /** Who closed the socket first. */
  closedBy: 'freecti' | 'peer';
}

const recorded = readEsl('esl-outbound/outbound-socket-answer-playback-hangup');

function connectReply(routeId: string | undefined): { frame: string; uuid: string } {
  const first = recorded.subarray(0, recorded.indexOf('\n\n') + 2).toString('latin1');
  const uuid = /\nUnique-ID: ([0-9a-f-]+)\n/.exec(first)?.[1] ?? '';
  const extra = routeId === undefined ? '' : `variable_freecti_route: ${routeId}\n`;
  return { frame: first.replace('Content-Type: command/reply\n', `${extra}Content-Type: command/reply\n`), uuid };
}

export function callThroughSocket(port: number, routeId: string | undefined, onExecute: (app: string, arg: string) => ExecuteResult): Promise<PeerResult> {
  const { frame, uuid } = connectReply(routeId);
  const socket = connect(port, '127.0.0.1');
  const reader = new CommandReader();
  const result: PeerResult = { uuid, executed: [], hangups: [], closedBy: 'freecti' };
  let ended = false;
  const notice = (): void => {
    socket.write(`Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${uuid}\nContent-Disposition: linger\nChannel-Name: sofia/internal/1000@127.0.0.1\nLinger-Time: -1\nContent-Length: 0\n\n`);
    ended = true;
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
          if (!ended) notice();
        } else if (verb === 'sendmsg') {
          const app = command.headers['execute-app-name'] ?? '';
          const arg = command.headers['execute-app-arg'] ?? command.body ?? '';
          result.executed.push({ app, arg });
          socket.write(commandReply('+OK'));
          const outcome = onExecute(app, arg);
          const hangup = app === 'hangup' || outcome.callerHangsUp === true;
          const headers: Record<string, string> = {
            'Event-Name': 'CHANNEL_EXECUTE_COMPLETE',
            'Unique-ID': uuid,
            'Answer-State': hangup ? 'hangup' : 'answered',
            Application: app,
            'Application-Data': arg,
            'Application-Response': outcome.response ?? '_none_',
            'Application-UUID': command.headers['Event-UUID'] ?? 'no-event-uuid',
          };
          for (const [name, value] of Object.entries(outcome.variables ?? {})) headers[`variable_${name}`] = value;
          socket.write(eventFrame('plain', headers));
          if (hangup) notice();
        } else socket.write(commandReply('-ERR command not found'));
      }
    });
    socket.on('close', () => {
      if (!ended) result.closedBy = 'freecti';
    });
  });
}
