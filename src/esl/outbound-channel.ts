/**
 * The typed view of the channel an outbound socket controls, read from FreeSWITCH's
 * reply to `connect` (README observation 9: `Event-Name: CHANNEL_DATA`, the channel's
 * headers and `variable_*`, url-encoded; the decoder hands them over decoded).
 */
import type { EslEvent } from './event.js';

export type CallDirection = 'inbound' | 'outbound';

export interface OutboundChannel {
  /** `Unique-ID`: the channel's uuid. */
  readonly uuid: string;
  /** `Channel-Name`, e.g. `sofia/internal/1000@127.0.0.1`. */
  readonly channelName: string | undefined;
  /** `Call-Direction` (falls back to `Channel-Direction`), seen from FreeSWITCH. */
  readonly direction: CallDirection | undefined;
  /** `Caller-Caller-ID-Number`: who calls. */
  readonly callerNumber: string | undefined;
  /** `Caller-Caller-ID-Name`. */
  readonly callerName: string | undefined;
  /** `Caller-Destination-Number`: the number dialed (the callee, e.g. `7000`). */
  readonly destinationNumber: string | undefined;
  /** `Caller-Context`: the dialplan context the `socket` application ran in. */
  readonly context: string | undefined;
  /** `Channel-State` when the socket connected (normally CS_EXECUTE). */
  readonly channelState: string | undefined;
  /** `Answer-State` when the socket connected (`ringing`, `early`, `answered`). */
  readonly answerState: string | undefined;
  /** `Socket-Mode` of the `socket` application: `async` or `static`. */
  readonly socketMode: string | undefined;
  /** `Control`: `full` or `single`. */
  readonly control: string | undefined;
}

/** Reads the channel from the connect reply's data; undefined when it names no channel (no Unique-ID). */
export function readOutboundChannel(data: EslEvent): OutboundChannel | undefined {
  const uuid = data.get('Unique-ID');
  if (uuid === undefined || uuid.length === 0) return undefined;
  return {
    uuid,
    channelName: data.get('Channel-Name'),
    direction: asDirection(data.get('Call-Direction') ?? data.get('Channel-Direction')),
    callerNumber: data.get('Caller-Caller-ID-Number'),
    callerName: data.get('Caller-Caller-ID-Name'),
    destinationNumber: data.get('Caller-Destination-Number'),
    context: data.get('Caller-Context'),
    channelState: data.get('Channel-State'),
    answerState: data.get('Answer-State'),
    socketMode: data.get('Socket-Mode'),
    control: data.get('Control'),
  };
}

function asDirection(value: string | undefined): CallDirection | undefined {
  return value === 'inbound' || value === 'outbound' ? value : undefined;
}
