/**
 * Channels a test declares on the fake FreeSWITCH, and the headers every channel event
 * carries (in FreeSWITCH's order: channel state, name, Unique-ID, direction, answer state,
 * caller profile, then `variable_*`).
 */
import { randomUUID } from 'node:crypto';
import type { EventHeaders } from '../../src/esl/event.js';

export interface ChannelInit {
  uuid?: string;
  /** Default `sofia/internal/1000@127.0.0.1`. */
  name?: string;
  direction?: 'inbound' | 'outbound';
  callerIdNumber?: string;
  destinationNumber?: string;
  /** Default true (`Answer-State: answered`, `Channel-Call-State: ACTIVE`). */
  answered?: boolean;
  /** Extra headers placed before the variables. */
  headers?: Record<string, string>;
  /** Channel variables (`variable_<name>`). */
  variables?: Record<string, string>;
  /** Overrides for this channel's `show channels|calls as json` row (e.g. `application`, `presence_id`). */
  row?: Record<string, string>;
}

export interface FakeChannel {
  readonly uuid: string;
  readonly name: string;
  readonly direction: 'inbound' | 'outbound';
  readonly callerIdNumber: string;
  readonly destinationNumber: string;
  readonly createdEpoch: number;
  answered: boolean;
  readonly headers: Record<string, string>;
  readonly variables: Map<string, string>;
  readonly row: Record<string, string>;
  /**
   * Explicit `Channel-State` / `Channel-Call-State` / `Answer-State` (outbound-mode calls keep
   * these as the recordings show them change); unset: derived from `answered` / the hangup cause.
   */
  state?: ChannelState;
}

export interface ChannelState {
  channel: string;
  call: string;
  answer: string;
}

export function createChannel(init: ChannelInit): FakeChannel {
  const uuid = init.uuid ?? randomUUID();
  return {
    uuid,
    name: init.name ?? 'sofia/internal/1000@127.0.0.1',
    direction: init.direction ?? 'inbound',
    callerIdNumber: init.callerIdNumber ?? '1000',
    destinationNumber: init.destinationNumber ?? '7001',
    createdEpoch: Math.floor(Date.now() / 1000),
    answered: init.answered ?? true,
    headers: { ...(init.headers ?? {}) },
    variables: new Map(Object.entries({ uuid, ...(init.variables ?? {}) })),
    row: { ...(init.row ?? {}) },
  };
}

/** The channel part of an event about `channel`. */
export function channelHeaders(channel: FakeChannel, hangupCause?: string): EventHeaders {
  const hungUp = hangupCause !== undefined;
  const state = channel.state;
  const out: EventHeaders = {
    'Channel-State': state?.channel ?? (hungUp ? 'CS_HANGUP' : 'CS_EXECUTE'),
    'Channel-Call-State': state?.call ?? (hungUp ? 'HANGUP' : channel.answered ? 'ACTIVE' : 'RINGING'),
    'Channel-Name': channel.name,
    'Unique-ID': channel.uuid,
    'Call-Direction': channel.direction,
    'Answer-State': state?.answer ?? (hungUp ? 'hangup' : channel.answered ? 'answered' : 'ringing'),
  };
  if (hungUp) out['Hangup-Cause'] = hangupCause;
  out['Caller-Direction'] = channel.direction;
  out['Caller-Caller-ID-Number'] = channel.callerIdNumber;
  out['Caller-Destination-Number'] = channel.destinationNumber;
  out['Caller-Unique-ID'] = channel.uuid;
  Object.assign(out, channel.headers);
  for (const [name, value] of channel.variables) out[`variable_${name}`] = value;
  return out;
}

/** A row of `show channels as json` (keys in FreeSWITCH's order, unknown values empty). */
export function showChannelsRow(channel: FakeChannel, hostname: string): Record<string, string> {
  return withOverrides(channelsRow(channel, hostname), channel.row);
}

/** A row of `show calls as json`: a channel row's first columns, then the (empty) b-leg columns. */
export function showCallsRow(channel: FakeChannel, hostname: string): Record<string, string> {
  const c = channelsRow(channel, hostname);
  const pick = (...keys: string[]): Record<string, string> => Object.fromEntries(keys.map((k) => [k, c[k] ?? '']));
  const row: Record<string, string> = {
    ...pick('uuid', 'direction', 'created', 'created_epoch', 'name', 'state', 'cid_name', 'cid_num', 'ip_addr', 'dest'),
    ...pick('presence_id', 'presence_data', 'accountcode', 'callstate', 'callee_name', 'callee_num', 'callee_direction', 'call_uuid'),
    ...pick('hostname', 'sent_callee_name', 'sent_callee_num'),
  };
  const bLeg = ['uuid', 'direction', 'created', 'created_epoch', 'name', 'state', 'cid_name', 'cid_num', 'ip_addr', 'dest'];
  for (const key of [...bLeg, 'presence_id', 'presence_data', 'accountcode', 'callstate', 'callee_name', 'callee_num', 'callee_direction']) {
    row[`b_${key}`] = '';
  }
  row['b_sent_callee_name'] = '';
  row['b_sent_callee_num'] = '';
  row['call_created_epoch'] = '';
  return withOverrides(row, channel.row);
}

function withOverrides(row: Record<string, string>, overrides: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(overrides)) if (key in row) row[key] = value;
  return row;
}

function channelsRow(channel: FakeChannel, hostname: string): Record<string, string> {
  const d = new Date(channel.createdEpoch * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  const created = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return {
    uuid: channel.uuid,
    direction: channel.direction,
    created,
    created_epoch: String(channel.createdEpoch),
    name: channel.name,
    state: 'CS_EXECUTE',
    cid_name: channel.callerIdNumber,
    cid_num: channel.callerIdNumber,
    ip_addr: '127.0.0.1',
    dest: channel.destinationNumber,
    application: channel.variables.get('current_application') ?? '',
    application_data: channel.variables.get('current_application_data') ?? '',
    dialplan: 'XML',
    context: 'default',
    read_codec: 'PCMU',
    read_rate: '8000',
    read_bit_rate: '64000',
    write_codec: 'PCMU',
    write_rate: '8000',
    write_bit_rate: '64000',
    secure: '',
    hostname,
    presence_id: '',
    presence_data: '',
    accountcode: '',
    callstate: channel.answered ? 'ACTIVE' : 'RINGING',
    callee_name: '',
    callee_num: '',
    callee_direction: '',
    call_uuid: '',
    sent_callee_name: '',
    sent_callee_num: '',
    initial_cid_name: channel.callerIdNumber,
    initial_cid_num: channel.callerIdNumber,
    initial_ip_addr: '127.0.0.1',
    initial_dest: channel.destinationNumber,
    initial_dialplan: 'XML',
    initial_context: 'default',
  };
}
