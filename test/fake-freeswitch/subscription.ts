/**
 * What one inbound connection listens to, with mod_event_socket's rules: `event`
 * words accumulate; `ALL` is everything; after `CUSTOM` the words are subclasses and a
 * CUSTOM event passes only when its subclass was named (or ALL); filters, once present,
 * let an event through only on a positive match and block it on a `-value` match.
 */
import type { EventHeaders } from '../../src/esl/event.js';
import type { EventFormat } from './serialise.js';

const EVENT_NAME = /^[A-Z][A-Z0-9_]*$/;

interface Filter {
  readonly header: string;
  readonly value: string;
}

export class Subscription {
  format: EventFormat = 'plain';
  private all = false;
  private readonly names = new Set<string>();
  private readonly subclasses = new Set<string>();
  private readonly filters: Filter[] = [];
  /** `myevents` on an outbound socket: only events whose Unique-ID is this channel's. */
  private own: string | undefined;

  get active(): boolean {
    return this.all || this.names.size > 0;
  }

  /** Applies the words after `event`; returns the reply text. */
  applyEventCommand(words: readonly string[]): string {
    const [first, ...rest] = words;
    let format: EventFormat = 'plain';
    let names: readonly string[] = rest;
    if (first === 'plain' || first === 'json') format = first;
    else names = words;
    let keys = 0;
    let custom = false;
    for (const word of names) {
      if (custom) {
        this.subclasses.add(word);
      } else if (EVENT_NAME.test(word)) {
        keys++;
        if (word === 'ALL') this.all = true;
        else this.names.add(word);
        if (word === 'CUSTOM') custom = true;
      }
    }
    if (keys === 0) return '-ERR no keywords supplied';
    this.format = format;
    return `+OK event listener enabled ${format}`;
  }

  /** `myevents [plain|json]`: every event of channel `uuid`, in `format`. */
  myEvents(uuid: string, format: EventFormat): void {
    this.all = true;
    this.own = uuid;
    this.format = format;
  }

  clear(): void {
    this.own = undefined;
    this.all = false;
    this.names.clear();
    this.subclasses.clear();
  }

  addFilter(header: string, value: string): void {
    this.filters.push({ header, value });
  }

  accepts(headers: EventHeaders): boolean {
    const name = first(headers['Event-Name']);
    if (name === undefined) return false;
    if (this.own !== undefined && first(headers['Unique-ID']) !== this.own) return false;
    let send = this.all;
    if (!send && this.names.has(name)) {
      const subclass = first(headers['Event-Subclass']);
      send = name !== 'CUSTOM' || subclass === undefined || this.subclasses.has(subclass);
    }
    return send && this.passesFilters(headers);
  }

  private passesFilters(headers: EventHeaders): boolean {
    if (this.filters.length === 0) return true;
    let send = false;
    for (const filter of this.filters) {
      const actual = first(headers[filter.header]);
      if (actual === undefined) continue;
      const negative = filter.value.startsWith('-');
      const wanted = filter.value.replace(/^[+-]/, '');
      if (send && !negative) continue;
      const match = wanted.startsWith('/') && wanted.endsWith('/') && wanted.length > 1
        ? safeRegex(wanted.slice(1, -1))?.test(actual) === true
        : actual.toLowerCase() === wanted.toLowerCase();
      if (!match) continue;
      if (negative) return false;
      send = true;
    }
    return send;
  }
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

function safeRegex(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}
