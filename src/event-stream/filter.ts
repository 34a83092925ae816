/**
 * What the live event stream carries and how a client narrows it. Pure.
 *
 * Streamed: channel events, registration events (CUSTOM sofia::register /
 * sofia::unregister / sofia::expire) and BACKGROUND_JOB; freecti's own ACD and
 * nwaycallout events are published by the hub itself. A client may ask for
 * `events=` (names or subclasses, comma separated), `uuid=` (the channel, its other
 * leg, or a bgapi Job-UUID) and `extension=` (caller, callee, registering user).
 */
import { FreectiError } from '../errors.js';
import type { EslEvent } from '../esl/event.js';

export const CHANNEL_EVENTS = [
  'CHANNEL_CREATE',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_ANSWER',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_HOLD',
  'CHANNEL_UNHOLD',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_CALLSTATE',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_DESTROY',
] as const;
export const REGISTRATION_SUBCLASSES = ['sofia::register', 'sofia::unregister', 'sofia::expire'] as const;
export const JOB_EVENTS = ['BACKGROUND_JOB'] as const;

/** What the stream subscribes on every node (FsNode.subscribe syntax). */
export const SUBSCRIPTION = [...CHANNEL_EVENTS, ...JOB_EVENTS, `CUSTOM ${REGISTRATION_SUBCLASSES.join(' ')}`];

/**
 * ACD queue-log events (docs/acd.md "Queue log"): `ACD` selects them all, or name them.
 * They are not FreeSWITCH events: the hub publishes them itself (publishAcd).
 */
export const ACD_EVENTS = [
  'ACD', 'ENTERQUEUE', 'OFFER', 'CONNECT', 'RINGNOANSWER', 'ABANDON', 'COMPLETECALLER', 'COMPLETEAGENT', 'EXITWITHTIMEOUT',
  'EXITEMPTY', 'EXITWITHKEY', 'EXITTRANSFER', 'EXITCALLBACK', 'FULL', 'JOINEMPTY', 'AGENTSTATE', 'QUEUESTATS',
] as const;

/**
 * nwaycallout campaign events (docs/nacd.md "nwaycallout"): `CALLOUT` selects them all, or
 * name them. Published by the instance that runs the campaign (publishCallout).
 */
export const CALLOUT_EVENTS = ['CALLOUT', 'callout_started', 'callout_result', 'callout_done'] as const;

const STREAMABLE = new Set<string>([...CHANNEL_EVENTS, ...JOB_EVENTS, ...REGISTRATION_SUBCLASSES, ...ACD_EVENTS, ...CALLOUT_EVENTS]);

const UUID_HEADERS = ['Unique-ID', 'Other-Leg-Unique-ID', 'Channel-Call-UUID', 'Job-UUID', 'Bridge-A-Unique-ID', 'Bridge-B-Unique-ID'];
const EXTENSION_HEADERS = [
  'Caller-Caller-ID-Number',
  'Caller-Destination-Number',
  'Caller-Callee-ID-Number',
  'Caller-Username',
  'variable_sip_from_user',
  'variable_sip_to_user',
  'variable_dialed_user',
  'username',
  'from-user',
  'user',
];

export interface StreamFilter {
  events: ReadonlySet<string> | undefined;
  uuid: string | undefined;
  extension: string | undefined;
}

/** The key an event is filtered by: its subclass for CUSTOM events, else its name. */
export function streamName(event: EslEvent): string {
  return event.name === 'CUSTOM' ? (event.subclass ?? 'CUSTOM') : event.name;
}

export function isStreamable(event: EslEvent): boolean {
  return STREAMABLE.has(streamName(event));
}

const VALUE = /^[A-Za-z0-9_.@+*#:-]{1,128}$/;

export function parseFilter(query: { events?: string | undefined; uuid?: string | undefined; extension?: string | undefined }): StreamFilter {
  let events: Set<string> | undefined;
  if (query.events !== undefined && query.events !== '') {
    events = new Set(query.events.split(',').map((e) => e.trim()).filter((e) => e !== ''));
    const unknown = [...events].filter((e) => !STREAMABLE.has(e));
    if (unknown.length > 0) {
      throw new FreectiError('BAD_REQUEST', `events: not streamed: ${unknown.join(', ').slice(0, 200)} (see docs/call-control.md)`);
    }
  }
  for (const [field, value] of [['uuid', query.uuid], ['extension', query.extension]] as const) {
    if (value !== undefined && value !== '' && !VALUE.test(value)) throw new FreectiError('BAD_REQUEST', `${field}: not a valid value`);
  }
  return { events, uuid: query.uuid || undefined, extension: query.extension || undefined };
}

/** Does an ACD event (name, caller uuid, agent) pass the filter? `extension=` matches the agent id. */
export function matchesAcd(filter: StreamFilter, name: string, uuid: string, agent: string): boolean {
  if (filter.events !== undefined && !filter.events.has(name) && !filter.events.has('ACD')) return false;
  if (filter.uuid !== undefined && filter.uuid !== uuid) return false;
  if (filter.extension !== undefined && filter.extension !== agent) return false;
  return true;
}

/**
 * Does a campaign event pass the filter? `uuid=` matches the call's uuid or the campaign
 * id, `extension=` the number dialled.
 */
export function matchesCallout(filter: StreamFilter, name: string, campaign: string, uuid: string, number: string): boolean {
  if (filter.events !== undefined && !filter.events.has(name) && !filter.events.has('CALLOUT')) return false;
  if (filter.uuid !== undefined && filter.uuid !== uuid && filter.uuid !== campaign) return false;
  if (filter.extension !== undefined && filter.extension !== number) return false;
  return true;
}

export function matches(filter: StreamFilter, event: EslEvent): boolean {
  if (filter.events !== undefined && !filter.events.has(streamName(event))) return false;
  if (filter.uuid !== undefined && !UUID_HEADERS.some((h) => event.get(h) === filter.uuid)) return false;
  if (filter.extension !== undefined && !EXTENSION_HEADERS.some((h) => event.get(h) === filter.extension)) return false;
  return true;
}
