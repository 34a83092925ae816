/**
 * Registration state in Redis (seed 001 "gui.registration"; docs/redis-keys.md):
 * - `registrations` (configurable): field = extension (or `<ext>@<domain>`), value = the
 *   JSON of the sofia::register event; the field goes away when no contact is left;
 * - optional PUBLISH channel and bounded list, both carrying each event's JSON;
 * - freecti's own bookkeeping: every live contact (call-id) per field, and the contacts
 *   each node holds, so that max-registrations-per-extension counts devices and a
 *   reconcile replaces one node's contacts without touching another node's.
 * Every change is one Lua script.
 */
import type { Config } from '../config/schema.js';
import type { EslEvent } from '../esl/event.js';
import type { Keys } from '../keys.js';
import { runScript, type RedisClient } from '../lua-scripts.js';
import { registrationChange, stateField, type RegistrationChange } from './registration-event.js';
import { parseShowRegistrations, rowToEventJson } from './show-registrations.js';

export type RegistrationSettings = Config['gui']['registration'];

interface ContactValue {
  /** node */
  n: string;
  /** domain */
  d: string;
  /** expires at (ms) */
  x: number;
  /** event JSON */
  e: string;
  /** contact */
  k: string;
}

/** What `apply` did: the change, and for a removal how many contacts it removed. */
export type AppliedRegistration = RegistrationChange & { removed: number };

/** Only the holder of the node's lease may write (src/cluster/node-lease.ts); token '' = no check. */
export interface Fence {
  token: string;
}

export const NO_FENCE: Fence = { token: '' };

export interface LiveContacts {
  /** Live (not expired) contacts of this extension in this domain. */
  count: number;
  callIds: Set<string>;
}

export class RegistrationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly settings: RegistrationSettings,
  ) {}

  field(extension: string, domain: string): string {
    return stateField(this.settings.field, extension, domain);
  }

  /** Applies one event; returns the change, or undefined when the event is not a registration event. */
  async apply(node: string, event: EslEvent, now = Date.now(), fence: Fence = NO_FENCE): Promise<AppliedRegistration | undefined> {
    const change = registrationChange(event);
    if (change === undefined) return undefined;
    const field = this.field(change.extension, change.domain);
    const { hash, channel, list, listMax } = this.settings;
    const listKey = this.keys.named(list === '' ? hash : list);
    const publish = channel === '' ? '' : this.keys.named(channel);
    const base = [this.keys.named(hash), this.keys.registrationContacts(field), this.keys.registrationsOfNode(node), listKey, this.keys.nodeLease(node)];
    if (change.kind === 'register') {
      const value: ContactValue = { n: node, d: change.domain, x: change.expiresAt, e: change.json, k: change.contact };
      await runScript(this.redis, 'registration-add', base, [
        field, change.callId, JSON.stringify(value), change.json, now, publish, list === '' ? '0' : '1', listMax, fence.token,
      ]);
      return { ...change, removed: 0 };
    }
    const removed = await runScript(this.redis, 'registration-remove', base, [
      field, change.callId, node, change.json, publish, list === '' ? '0' : '1', listMax, fence.token, change.contact, change.domain,
    ]);
    return { ...change, removed: Number(removed) };
  }

  /** Replaces this node's contacts with the `show registrations as json` output. */
  async reconcile(node: string, listing: string, fence: Fence = NO_FENCE): Promise<{ removed: number; added: number }> {
    const rows = parseShowRegistrations(listing).map((row) => {
      const json = rowToEventJson(row, node);
      const value: ContactValue = { n: node, d: row.realm, x: Number(row.expires) * 1000, e: json, k: (JSON.parse(json) as { contact: string }).contact };
      return { f: this.field(row.reg_user, row.realm), c: row.token, v: JSON.stringify(value), e: json };
    });
    const result = (await runScript(
      this.redis,
      'registration-reconcile',
      [this.keys.named(this.settings.hash), this.keys.registrationsOfNode(node), this.keys.nodeLease(node)],
      [node, this.keys.registrationContactsPrefix(), JSON.stringify(rows), fence.token],
    )) as [number, number];
    return { removed: Number(result[0]), added: Number(result[1]) };
  }

  /** Live contacts of one extension (for max-registrations-per-extension). */
  async liveContacts(extension: string, domain: string, now = Date.now()): Promise<LiveContacts> {
    const all = await this.redis.hgetall(this.keys.registrationContacts(this.field(extension, domain)));
    const callIds = new Set<string>();
    for (const [callId, raw] of Object.entries(all)) {
      try {
        const value = JSON.parse(raw) as Partial<ContactValue>;
        if (value.d === domain && typeof value.x === 'number' && value.x > now) callIds.add(callId);
      } catch {
        // A damaged entry is not a live device.
      }
    }
    return { count: callIds.size, callIds };
  }
}
