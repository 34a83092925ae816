/**
 * The part of the fake FreeSWITCH that dials OUT to freecti's outbound server, as the
 * dialplan `socket` application does. Like FreeSWITCH it says nothing until the client
 * speaks (README observation 9).
 *
 * `replay`: replays a recorded session (outbound-recording.ts). For each recorded client
 * command it waits for the same command from the client, then writes the bytes FreeSWITCH
 * wrote after it. The client's Event-UUIDs replace the recorded application uuids in every
 * later frame, so the real bytes drive the client. Switches: write in small chunks, inject
 * garbage, die mid-frame, or stop answering (hang).
 * `silent`: never answers `connect`. `garbage`: answers every command with junk bytes.
 */
import { connect, type Socket } from 'node:net';
import { CommandReader, type ReceivedCommand } from './command-reader.js';
import { describeCommand, header, recordedApplicationUuid, sameCommand, substituteUuids, type RecordedStep } from './outbound-recording.js';

export interface ReplayOptions {
  /** Write answers in pieces of this many bytes (frames split anywhere). Default: one write per step. */
  chunkSize?: number;
  /** Write these bytes just before the answer to step `step` (0-based; 0 = connect). */
  inject?: { step: number; bytes: Buffer };
  /** Die mid-stream: answer step `step` with only its first `bytes` bytes, then close the socket. */
  cutAt?: { step: number; bytes: number };
  /** Stop answering from this step on (commands are read, never answered; the socket stays open). */
  hangAt?: number;
}

export type DialScript =
  | ({ mode: 'replay'; steps: readonly RecordedStep[] } & ReplayOptions)
  | { mode: 'silent' }
  | { mode: 'garbage'; bytes: Buffer };

export interface DialResult {
  /** Every command the client sent, described (`line | header: value ...`). */
  readonly received: readonly string[];
  /** Steps matched and answered (replay). */
  readonly answered: number;
  /** Who closed the TCP connection: the client (freecti) or the dialer (cut, mismatch, close()). */
  readonly closedBy: 'client' | 'dialer';
  /** The first client command that differs from the recording (the dialer then closes). */
  readonly mismatch: { step: number; expected: string; got: string } | undefined;
  /** Commands that came after the recording had nothing left to answer. */
  readonly unexpected: readonly string[];
  /** Recorded uuid → the client's Event-UUID. */
  readonly substitutions: ReadonlyMap<string, string>;
}

export interface DialedCall {
  readonly socket: Socket;
  /** Resolves when the TCP connection has closed. */
  readonly result: Promise<DialResult>;
  /** Closes the connection from the dialer side (FIN). */
  close(): void;
}

export function dial(port: number, script: DialScript, host = '127.0.0.1'): DialedCall {
  const socket = connect({ port, host });
  const reader = new CommandReader();
  const received: string[] = [];
  const unexpected: string[] = [];
  const substitutions = new Map<string, string>();
  let answered = 0;
  let closedByUs = false;
  let mismatch: DialResult['mismatch'];
  socket.setNoDelay(true);
  socket.on('error', () => undefined); // a reset by the client is a normal end here

  const closeFromHere = (last?: Buffer): void => {
    closedByUs = true;
    if (last === undefined) socket.end();
    else socket.end(last);
  };

  const onCommand = (command: ReceivedCommand): void => {
    received.push(describeCommand(command));
    if (closedByUs) return;
    if (script.mode === 'silent') return;
    if (script.mode === 'garbage') {
      socket.write(script.bytes);
      return;
    }
    const index = answered;
    const step = script.steps[index];
    if (step === undefined || (script.hangAt !== undefined && index >= script.hangAt)) {
      if (step === undefined) unexpected.push(describeCommand(command));
      return;
    }
    if (!sameCommand(step.expect, command)) {
      mismatch = { step: index, expected: describeCommand(step.expect), got: describeCommand(command) };
      closeFromHere();
      return;
    }
    const recordedUuid = recordedApplicationUuid(step);
    const clientUuid = header(command, 'Event-UUID');
    if (recordedUuid !== undefined && clientUuid !== undefined && recordedUuid !== clientUuid) {
      substitutions.set(recordedUuid, clientUuid);
    }
    answered += 1;
    let bytes = Buffer.concat(step.frames.map((frame) => substituteUuids(frame, substitutions)));
    if (script.inject?.step === index) bytes = Buffer.concat([script.inject.bytes, bytes]);
    if (script.cutAt?.step === index) {
      closeFromHere(bytes.subarray(0, script.cutAt.bytes));
      return;
    }
    const size = script.chunkSize ?? bytes.length;
    for (let at = 0; at < bytes.length; at += size) socket.write(bytes.subarray(at, at + size));
  };

  socket.on('data', (chunk: Buffer) => {
    for (const command of reader.push(chunk)) onCommand(command);
  });

  const result = new Promise<DialResult>((resolve) => {
    socket.once('close', () => {
      resolve({ received, answered, closedBy: closedByUs ? 'dialer' : 'client', mismatch, unexpected, substitutions });
    });
  });
  return { socket, result, close: () => closeFromHere() };
}
