/**
 * Builds events the way FreeSWITCH lays them out: `Event-Subclass` first for CUSTOM
 * events, then `Event-Name`, the core headers (Core-UUID, FreeSWITCH-*, Event-Date-*,
 * Event-Calling-*, Event-Sequence), then the event's own headers.
 */
import type { EventHeaders } from '../../src/esl/event.js';

export interface FakeIdentity {
  readonly hostname: string;
  readonly coreUuid: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

const CORE = [
  'Core-UUID',
  'FreeSWITCH-Hostname',
  'FreeSWITCH-Switchname',
  'FreeSWITCH-IPv4',
  'FreeSWITCH-IPv6',
  'Event-Date-Local',
  'Event-Date-GMT',
  'Event-Date-Timestamp',
  'Event-Calling-File',
  'Event-Calling-Function',
  'Event-Calling-Line-Number',
  'Event-Sequence',
] as const;

export class EventBuilder {
  private sequence = 1000;

  constructor(private readonly identity: FakeIdentity) {}

  /** Completes `headers` with what FreeSWITCH adds; given values win and keep their place among the core ones. */
  build(headers: EventHeaders, calling: readonly [file: string, fn: string, line: number] = ['fake.c', 'fake_fire', 1]): EventHeaders {
    const now = new Date();
    const core: Record<(typeof CORE)[number], string> = {
      'Core-UUID': this.identity.coreUuid,
      'FreeSWITCH-Hostname': this.identity.hostname,
      'FreeSWITCH-Switchname': this.identity.hostname,
      'FreeSWITCH-IPv4': this.identity.ipv4,
      'FreeSWITCH-IPv6': this.identity.ipv6,
      'Event-Date-Local': localDate(now),
      'Event-Date-GMT': now.toUTCString(),
      'Event-Date-Timestamp': `${now.getTime()}000`,
      'Event-Calling-File': calling[0],
      'Event-Calling-Function': calling[1],
      'Event-Calling-Line-Number': String(calling[2]),
      'Event-Sequence': String(++this.sequence),
    };
    const out: EventHeaders = {};
    if (headers['Event-Subclass'] !== undefined) out['Event-Subclass'] = headers['Event-Subclass'];
    out['Event-Name'] = headers['Event-Name'] ?? 'CUSTOM';
    for (const name of CORE) out[name] = headers[name] ?? core[name];
    for (const [name, value] of Object.entries(headers)) if (!(name in out)) out[name] = value;
    return out;
  }
}

function localDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
