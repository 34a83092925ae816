/**
 * Replays a recorded outbound bridge session (test/fixtures/freeswitch/esl-outbound-bridge/,
 * README "Issue 9 recordings") against a real client over TCP, like outbound-dialer.ts
 * does for esl-outbound/, with what those recordings need on top:
 *
 * - commands are matched by KIND, in order: the line verb; for `sendmsg` the call-command
 *   and the application name. `connect`, `linger`, `filter`, `event` and a `set` must be
 *   the recorded line / argument exactly; a `bridge`'s dial string may differ (freecti's
 *   line-group dial strings are not the recorder's). A recorded `myevents` step stands for
 *   freecti's subscription: its `filter` commands get FreeSWITCH's reply (as recorded in
 *   cti-bridge-filters-*: `+OK filter added. [<header>]=[<value>]`), its `event` command
 *   gets the recorded `myevents` reply and the step's frames. A recorded `set` listed in
 *   `optionalSets` is skipped (its frames are not written) when the client does not send it.
 * - recorded uuids: the client's Event-UUID replaces the recorded one of each execute
 *   (outbound-recording.ts); the A leg keeps its recorded uuid (one call per recording).
 * - timing: frames are written in the recorded order; frames recorded at the same time go
 *   in one write; between two writes the recorded pause, capped at `maxGapMs`. Every
 *   write comes after the previous step's writes (one queue).
 * - the end: the frames recorded after the recorder's note "the client closes it now" (the
 *   second disconnect-notice) are written only once the client half-closes its side, then
 *   the replay closes, as FreeSWITCH did. A client command that does not match the next
 *   recorded step is recorded in `mismatch` and the replay closes the socket (FIN).
 */
import { connect, type Socket } from 'node:net';
import { readTranscript } from '../helpers/fixtures.js';
import { CommandReader, type ReceivedCommand } from './command-reader.js';
import { fsUrlEncode } from './fs-url-encode.js';
import { describeCommand, header, recordedApplicationUuid, substituteUuids, type RecordedStep } from './outbound-recording.js';
import { commandReply } from './serialise.js';

interface TimedFrame {
  readonly time: number;
  readonly bytes: Buffer;
}

interface BridgeStep extends RecordedStep {
  readonly timed: readonly TimedFrame[];
}

export interface BridgeRecording {
  readonly steps: readonly BridgeStep[];
  /** Frames FreeSWITCH wrote after the client half-closed (the second notice). */
  readonly afterClientClose: readonly TimedFrame[];
}

/** `esl-outbound-bridge/<stem>` as steps (each recorded command and what followed it). */
export function loadBridgeRecording(stem: string): BridgeRecording {
  const steps: { expect: ReceivedCommand; frames: Buffer[]; timed: TimedFrame[] }[] = [];
  const afterClientClose: TimedFrame[] = [];
  let clientClosed = false;
  for (const chunk of readTranscript(`esl-outbound-bridge/${stem}.txt`)) {
    if (chunk.dir === 'NOTE') {
      if (/the client closes it now/.test(chunk.bytes.toString('utf8'))) clientClosed = true;
    } else if (chunk.dir === 'C>S') {
      const parsed = new CommandReader().push(chunk.bytes);
      if (parsed.length !== 1 || parsed[0] === undefined) throw new Error(`${stem}: a C>S chunk must hold exactly one command`);
      steps.push({ expect: parsed[0], frames: [], timed: [] });
    } else if (clientClosed) {
      afterClientClose.push({ time: chunk.time, bytes: chunk.bytes });
    } else {
      const step = steps.at(-1);
      if (step === undefined) throw new Error(`${stem}: FreeSWITCH spoke before the client`);
      step.frames.push(chunk.bytes);
      step.timed.push({ time: chunk.time, bytes: chunk.bytes });
    }
  }
  return { steps, afterClientClose };
}

export interface BridgeReplayOptions {
  /** Channel variables set (added, or replacing the recorded value) in the recorded connect reply. */
  variables?: Readonly<Record<string, string>>;
  /** Recorded `set` arguments the client may leave out, e.g. `hangup_after_bridge=false`. */
  optionalSets?: readonly string[];
  /** Longest pause between two writes (default 100 ms; the recorded calls last seconds). */
  maxGapMs?: number;
}

export interface BridgeReplayResult {
  /** Every command the client sent, described. */
  readonly received: readonly string[];
  /** Recorded steps answered, described as recorded. */
  readonly answered: readonly string[];
  /** Recorded optional `set` steps the client did not send. */
  readonly skipped: readonly string[];
  /** Recorded steps the client never got to (it closed first), described as recorded. */
  readonly unplayed: readonly string[];
  /** Recorded frames not yet written when the client half-closed (it left too early). */
  readonly framesLeftAtClientClose: number;
  /** Frames written after the client's half-close (the recorded second notice). */
  readonly writtenAfterClientClose: number;
  readonly closedBy: 'client' | 'replay';
  readonly mismatch: { step: number; expected: string; got: string } | undefined;
  readonly substitutions: ReadonlyMap<string, string>;
}

export interface BridgeReplay {
  readonly result: Promise<BridgeReplayResult>;
}

type Kind = string;

function kindOf(command: ReceivedCommand): Kind {
  const verb = command.line.split(' ')[0] ?? '';
  if (verb !== 'sendmsg') return verb;
  return `sendmsg ${header(command, 'call-command') ?? ''} ${header(command, 'execute-app-name') ?? ''}`.trim();
}

function setArg(command: ReceivedCommand): string | undefined {
  return kindOf(command) === 'sendmsg execute set' ? (header(command, 'execute-app-arg') ?? command.body) : undefined;
}

/** Same command as recorded, by kind (see the file comment). */
function matches(expected: ReceivedCommand, got: ReceivedCommand): boolean {
  const kind = kindOf(expected);
  if (kind !== kindOf(got)) return false;
  if (kind === 'sendmsg execute set') return setArg(expected) === setArg(got);
  if (kind.startsWith('sendmsg')) return true;
  return expected.line === got.line;
}

function withVariables(frame: Buffer, variables: Readonly<Record<string, string>>): Buffer {
  let text = frame.toString('latin1');
  for (const [name, value] of Object.entries(variables)) {
    const line = `variable_${name}: ${fsUrlEncode(value)}\n`;
    const existing = new RegExp(`^variable_${name}: .*\\n`, 'm');
    text = existing.test(text) ? text.replace(existing, line) : text.replace('Content-Type: command/reply\n', `${line}Content-Type: command/reply\n`);
  }
  return Buffer.from(text, 'latin1');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function replayBridgeRecording(port: number, recording: BridgeRecording, options: BridgeReplayOptions = {}): BridgeReplay {
  const maxGapMs = options.maxGapMs ?? 100;
  const socket: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const reader = new CommandReader();
  const received: string[] = [];
  const answered: string[] = [];
  const skipped: string[] = [];
  const substitutions = new Map<string, string>();
  let next = 0;
  let mismatch: BridgeReplayResult['mismatch'];
  let closedByUs = false;
  let clientClosed = false;
  let queued = 0;
  let framesLeftAtClientClose = 0;
  let writtenAfterClientClose = 0;
  let queue: Promise<void> = Promise.resolve();
  let lastTime: number | undefined;
  socket.setNoDelay(true);
  socket.on('error', () => undefined);

  /** Queues frames: one write per recorded instant, the recorded pauses (capped) between. */
  const enqueue = (frames: readonly TimedFrame[], firstImmediately: boolean): void => {
    const groups: TimedFrame[][] = [];
    for (const frame of frames) {
      const group = groups.at(-1);
      if (group !== undefined && group[0]?.time === frame.time) group.push(frame);
      else groups.push([frame]);
    }
    groups.forEach((group, i) => {
      queued += group.length;
      const time = group[0]?.time ?? 0;
      const gapMs = i === 0 && firstImmediately ? 0 : lastTime === undefined ? 0 : Math.min(maxGapMs, Math.max(0, (time - lastTime) * 1000));
      lastTime = time;
      queue = queue.then(async () => {
        if (gapMs > 0) await sleep(gapMs);
        if (clientClosed || closedByUs) return;
        queued -= group.length;
        socket.write(Buffer.concat(group.map((f) => substituteUuids(f.bytes, substitutions))));
      });
    });
  };

  const answer = (step: BridgeStep, index: number, command: ReceivedCommand, frames: readonly TimedFrame[]): void => {
    const recordedUuid = recordedApplicationUuid(step);
    const clientUuid = header(command, 'Event-UUID');
    if (recordedUuid !== undefined && clientUuid !== undefined && recordedUuid !== clientUuid) substitutions.set(recordedUuid, clientUuid);
    answered.push(describeCommand(step.expect));
    next = index + 1;
    enqueue(frames, true);
  };

  const onCommand = (command: ReceivedCommand): void => {
    received.push(describeCommand(command));
    if (closedByUs || mismatch !== undefined) return;
    for (;;) {
      const step = recording.steps[next];
      if (step === undefined) {
        mismatch = { step: next, expected: '(end of recording)', got: describeCommand(command) };
        break;
      }
      const recordedKind = kindOf(step.expect);
      if (recordedKind === 'myevents' && kindOf(command) === 'filter') {
        const [, name = '', ...value] = command.line.split(' ');
        enqueue([{ time: step.timed[0]?.time ?? 0, bytes: Buffer.from(commandReply(`+OK filter added. [${name}]=[${value.join(' ')}]`), 'latin1') }], true);
        return;
      }
      if (recordedKind === 'myevents' && kindOf(command) === 'event') return answer(step, next, command, step.timed);
      if (matches(step.expect, command)) {
        const frames = next === 0 && options.variables !== undefined ? step.timed.map((f, i) => (i === 0 ? { ...f, bytes: withVariables(f.bytes, options.variables ?? {}) } : f)) : step.timed;
        return answer(step, next, command, frames);
      }
      const optional = setArg(step.expect);
      if (optional !== undefined && options.optionalSets?.includes(optional) === true) {
        skipped.push(describeCommand(step.expect));
        next += 1;
        continue;
      }
      mismatch = { step: next, expected: describeCommand(step.expect), got: describeCommand(command) };
      break;
    }
    closedByUs = true;
    socket.end();
  };

  socket.on('data', (chunk: Buffer) => {
    for (const command of reader.push(chunk)) onCommand(command);
  });
  socket.on('end', () => {
    if (closedByUs) return;
    clientClosed = true;
    framesLeftAtClientClose = queued;
    // FreeSWITCH's answer to the client's half-close: the second notice, then its close.
    for (const frame of recording.afterClientClose) {
      if (socket.writable) socket.write(substituteUuids(frame.bytes, substitutions));
      writtenAfterClientClose += 1;
    }
    socket.end();
  });

  const result = new Promise<BridgeReplayResult>((resolve) => {
    socket.once('close', () => {
      resolve({
        received,
        answered,
        skipped,
        unplayed: recording.steps.slice(next).map((s) => describeCommand(s.expect)),
        framesLeftAtClientClose,
        writtenAfterClientClose,
        closedBy: closedByUs ? 'replay' : 'client',
        mismatch,
        substitutions,
      });
    });
  });
  return { result };
}
