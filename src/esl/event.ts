/**
 * A FreeSWITCH event as delivered over ESL, plain or json.
 *
 * Values are decoded strings; multi-valued headers (plain `ARRAY::a|:b`, json arrays)
 * are string arrays. The framing `Content-Length` of an event body is not a header.
 */
export type EventHeaders = Record<string, string | string[]>;

/** Event names the mission relies on (FreeSWITCH sends many more; any string is accepted). */
export const EventName = {
  ALL: 'ALL',
  API: 'API',
  BACKGROUND_JOB: 'BACKGROUND_JOB',
  CHANNEL_CREATE: 'CHANNEL_CREATE',
  CHANNEL_DESTROY: 'CHANNEL_DESTROY',
  CHANNEL_STATE: 'CHANNEL_STATE',
  CHANNEL_CALLSTATE: 'CHANNEL_CALLSTATE',
  CHANNEL_ANSWER: 'CHANNEL_ANSWER',
  CHANNEL_HANGUP: 'CHANNEL_HANGUP',
  CHANNEL_HANGUP_COMPLETE: 'CHANNEL_HANGUP_COMPLETE',
  CHANNEL_EXECUTE: 'CHANNEL_EXECUTE',
  CHANNEL_EXECUTE_COMPLETE: 'CHANNEL_EXECUTE_COMPLETE',
  CHANNEL_BRIDGE: 'CHANNEL_BRIDGE',
  CHANNEL_UNBRIDGE: 'CHANNEL_UNBRIDGE',
  CHANNEL_PROGRESS: 'CHANNEL_PROGRESS',
  CHANNEL_PROGRESS_MEDIA: 'CHANNEL_PROGRESS_MEDIA',
  CHANNEL_OUTGOING: 'CHANNEL_OUTGOING',
  CHANNEL_ORIGINATE: 'CHANNEL_ORIGINATE',
  CHANNEL_PARK: 'CHANNEL_PARK',
  CHANNEL_UNPARK: 'CHANNEL_UNPARK',
  CHANNEL_HOLD: 'CHANNEL_HOLD',
  CHANNEL_UNHOLD: 'CHANNEL_UNHOLD',
  CHANNEL_DATA: 'CHANNEL_DATA',
  CALL_UPDATE: 'CALL_UPDATE',
  DTMF: 'DTMF',
  CUSTOM: 'CUSTOM',
  HEARTBEAT: 'HEARTBEAT',
  PRESENCE_IN: 'PRESENCE_IN',
  PRIVATE_COMMAND: 'PRIVATE_COMMAND',
  MEDIA_BUG_START: 'MEDIA_BUG_START',
  MEDIA_BUG_STOP: 'MEDIA_BUG_STOP',
  RECORD_START: 'RECORD_START',
  RECORD_STOP: 'RECORD_STOP',
  PLAYBACK_START: 'PLAYBACK_START',
  PLAYBACK_STOP: 'PLAYBACK_STOP',
} as const;
export type KnownEventName = (typeof EventName)[keyof typeof EventName];

/** CUSTOM event subclasses the mission relies on. */
export const EventSubclass = {
  SOFIA_REGISTER: 'sofia::register',
  SOFIA_UNREGISTER: 'sofia::unregister',
  SOFIA_EXPIRE: 'sofia::expire',
  CONFERENCE_MAINTENANCE: 'conference::maintenance',
  CALLCENTER_INFO: 'callcenter::info',
} as const;

export class EslEvent {
  readonly headers: EventHeaders;
  readonly body: string | undefined;

  constructor(headers: EventHeaders, body?: string) {
    this.headers = headers;
    this.body = body;
  }

  /** `Event-Name`, e.g. CHANNEL_ANSWER or CUSTOM. */
  get name(): string {
    return this.get('Event-Name') ?? '';
  }

  /** `Event-Subclass` of CUSTOM events, e.g. sofia::register. */
  get subclass(): string | undefined {
    return this.get('Event-Subclass');
  }

  /** The channel this event is about (`Unique-ID`). */
  get uuid(): string | undefined {
    return this.get('Unique-ID');
  }

  /** A header's value; for a multi-valued header its first value. */
  get(name: string): string | undefined {
    const value = this.headers[name];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : value[0];
  }

  /** All values of a header (one element for a single-valued header, none when absent). */
  getAll(name: string): string[] {
    const value = this.headers[name];
    if (value === undefined) return [];
    return typeof value === 'string' ? [value] : value;
  }

  /** A channel variable (`variable_<name>`). */
  variable(name: string): string | undefined {
    return this.get(`variable_${name}`);
  }

  /** Plain object form (for JSON logging, Redis or webhooks). */
  toJSON(): EventHeaders & { _body?: string } {
    return this.body === undefined ? { ...this.headers } : { ...this.headers, _body: this.body };
  }
}
