/**
 * The events and filters one inbound client wants, kept across reconnects and turned
 * into `event` / `filter` command lines. Pure. BACKGROUND_JOB and CHANNEL_EXECUTE_COMPLETE
 * are always subscribed (bgapi and execute wait for them). CUSTOM subclasses are given as
 * `CUSTOM sofia::register sofia::unregister` or as bare `sofia::register`.
 *
 * FreeSWITCH drops every event that matches no filter once a connection has one, so the
 * first filter also adds `Event-Name` filters that keep BACKGROUND_JOB and
 * CHANNEL_EXECUTE_COMPLETE flowing.
 */
import { FreectiError } from '../errors.js';

export const REQUIRED_EVENTS = ['BACKGROUND_JOB', 'CHANNEL_EXECUTE_COMPLETE'] as const;

const EVENT_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
const SUBCLASS = /^[A-Za-z0-9_.:-]{1,128}$/;
const HEADER_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export interface SubscriptionDelta {
  names: string[];
  subclasses: string[];
}

export interface EventFilter {
  header: string;
  value: string;
}

export class EventSubscription {
  private readonly names = new Set<string>(REQUIRED_EVENTS);
  private readonly subclasses = new Set<string>();
  private readonly filters: EventFilter[] = [];
  private changes = 0;

  /** Grows on every change, so a handshake can tell that it sent an outdated subscription. */
  get version(): number {
    return this.changes;
  }

  /** Validates and adds; returns what was not subscribed before. Throws ESL_INVALID_COMMAND. */
  add(events: readonly string[]): SubscriptionDelta {
    const names: string[] = [];
    const subclasses: string[] = [];
    for (const entry of events) {
      let custom = false;
      for (const word of entry.trim().split(/\s+/).filter((w) => w.length > 0)) {
        if (custom || word.includes('::')) {
          if (!SUBCLASS.test(word)) throw new FreectiError('ESL_INVALID_COMMAND', `invalid CUSTOM event subclass '${word.slice(0, 64)}'`);
          if (!this.names.has('CUSTOM') && !names.includes('CUSTOM')) names.push('CUSTOM');
          if (!this.subclasses.has(word) && !subclasses.includes(word)) subclasses.push(word);
        } else {
          if (!EVENT_NAME.test(word)) throw new FreectiError('ESL_INVALID_COMMAND', `invalid event name '${word.slice(0, 64)}'`);
          if (!this.names.has(word) && !names.includes(word)) names.push(word);
          custom = word === 'CUSTOM';
        }
      }
    }
    for (const name of names) this.names.add(name);
    for (const subclass of subclasses) this.subclasses.add(subclass);
    if (names.length > 0 || subclasses.length > 0) this.changes++;
    return { names, subclasses };
  }

  /** The `event` command for everything (after a reconnect) or for a delta. */
  eventCommand(format: 'plain' | 'json', delta?: SubscriptionDelta): string {
    const names = delta?.names ?? [...this.names];
    const subclasses = delta?.subclasses ?? [...this.subclasses];
    const words = names.filter((n) => n !== 'CUSTOM');
    if (names.includes('CUSTOM') || subclasses.length > 0) words.push('CUSTOM', ...subclasses);
    return `event ${format} ${words.join(' ')}`;
  }

  /** Validates and adds a filter; returns the command lines to send now (none when known). */
  addFilter(header: string, value: string): string[] {
    if (!HEADER_NAME.test(header)) throw new FreectiError('ESL_INVALID_COMMAND', `invalid filter header '${header.slice(0, 64)}'`);
    if (value.trim().length === 0 || /[\r\n]/.test(value)) {
      throw new FreectiError('ESL_INVALID_COMMAND', 'filter value must be one non-empty line');
    }
    if (this.filters.some((f) => f.header === header && f.value === value)) return [];
    const lines: string[] = [];
    if (this.filters.length === 0) {
      for (const name of REQUIRED_EVENTS) {
        this.filters.push({ header: 'Event-Name', value: name });
        lines.push(`filter Event-Name ${name}`);
      }
    }
    this.filters.push({ header, value });
    lines.push(`filter ${header} ${value}`);
    this.changes++;
    return lines;
  }

  /** Every command line that restores the subscription on a fresh connection. */
  commands(format: 'plain' | 'json'): string[] {
    return [this.eventCommand(format), ...this.filters.map((f) => `filter ${f.header} ${f.value}`)];
  }
}
