/**
 * Registration state in Redis (seed 001 "gui.registration"; docs/redis-keys.md):
 * - `registrations` (configurable): field = extension (or `<ext>@<domain>`), value = the
 *   JSON of the sofia::register event; the field goes away when no contact is left;
 * - optional PUBLISH channel and bounded list, both carrying each event's JSON;
 * - freecti's own bookkeeping: every live contact (call-id) per field, and the contacts
 *   each node holds, so that max-registrations-per-extension counts devices and a
 *   reconcile replaces one node's contacts without touching another node's;
 * - the registrations each node removed recently (Call-ID and contact URI, for
 *   `removedTtlMs`), that a reconcile must not bring back (see REMOVED_TTL_MS).
 * Every change is one Lua script.
 */
import type { Config } from '../config/schema.js';
import type { EslEvent } from '../esl/event.js';
import type { Keys } from '../keys.js';
import { runScript, type RedisClient } from '../lua-scripts.js';
import { contactUri, networkAddress, registrationChange, stateField, type RegistrationChange } from './registration-event.js';
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
  /** contact, as the event sent it (or `<uri>` for a contact learned from a listing) */
  k: string;
  /** contact URI normalized (`contactUri`): what an unregister/expire matches when its Call-ID differs */
  u: string;
  /** network address `ip:port` ('' = unknown) */
  a: string;
}

/**
 * How long a removed registration (Call-ID and contact URI) is remembered, so that a
 * reconcile does not re-add it. FreeSWITCH sends sofia::unregister / sofia::expire
 * before the row leaves `show registrations` (the core deletes it through its SQL
 * queue), so a listing taken right after the event (the reconcile an unmatched
 * unregister triggers, a lease takeover, an ESL reconnect) still shows it. We remember
 * the removal in Redis rather than delay the reconcile: the memory is shared by every
 * instance (a takeover right after the event is covered too), holds whatever the lag of
 * FreeSWITCH is up to this bound, and every reconcile honours it whatever triggered it.
 * A new sofia::register of the same Call-ID or contact forgets the removal at once; a
 * re-registration whose event was missed (no lease holder) is picked up by the next
 * reconcile after the bound (the consumer schedules one when rows were skipped) or by
 * the device's next refresh.
 */
export const REMOVED_TTL_MS = 30_000;

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
  /** Their network addresses (`ip:port`, as sofia::register's network-ip/network-port). */
  addresses: Set<string>;
}

export class RegistrationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly settings: RegistrationSettings,
    /** How long removed registrations are remembered (REMOVED_TTL_MS). */
    readonly removedTtlMs: number = REMOVED_TTL_MS,
  ) {}

  /** Zset of the registrations `node` removed recently: member JSON ['c', field, call-id] or ['u', field, contact URI], score = until (ms). */
  removedKey(node: string): string {
    return this.keys.registrationsRemoved(node);
  }

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
    const base = [
      this.keys.named(hash), this.keys.registrationContacts(field), this.keys.registrationsOfNode(node), listKey, this.keys.nodeLease(node), this.removedKey(node),
    ];
    if (change.kind === 'register') {
      const value: ContactValue = { n: node, d: change.domain, x: change.expiresAt, e: change.json, k: change.contact, u: change.contactUri, a: change.network };
      await runScript(this.redis, 'registration-add', base, [
        field, change.callId, JSON.stringify(value), change.json, now, publish, list === '' ? '0' : '1', listMax, fence.token, change.contactUri, node, change.domain, change.network,
      ]);
      return { ...change, removed: 0 };
    }
    const removed = await runScript(this.redis, 'registration-remove', base, [
      field, change.callId, node, change.json, publish, list === '' ? '0' : '1', listMax, fence.token,
      change.contact, JSON.stringify(change.domains), change.contactUri, change.network, now, this.removedTtlMs,
    ]);
    return { ...change, removed: Number(removed) };
  }

  /**
   * Replaces this node's contacts with the `show registrations as json` output. A row
   * learned here is stored with the identity a later unregister/expire matches: the
   * listing's `token` (= the events' `call-id`), its URL reduced to `user@host:port`
   * (= the events' contact, normalized) and `network_ip:network_port`. Rows whose Call-ID
   * or contact URI this node removed less than `removedTtlMs` ago are `skipped`.
   */
  async reconcile(node: string, listing: string, fence: Fence = NO_FENCE, now = Date.now()): Promise<{ removed: number; added: number; skipped: number }> {
    const rows = parseShowRegistrations(listing).map((row) => {
      const json = rowToEventJson(row, node, now);
      const u = contactUri(row.url);
      const value: ContactValue = {
        n: node, d: row.realm, x: Number(row.expires) * 1000, e: json, k: (JSON.parse(json) as { contact: string }).contact, u, a: networkAddress(row.network_ip, row.network_port),
      };
      return { f: this.field(row.reg_user, row.realm), c: row.token, u, v: JSON.stringify(value), e: json };
    });
    // Every key a script touches is in KEYS (Redis Cluster): the contacts hash of each
    // field listed or held by the node now. The node's set only changes through this
    // node's fenced writes; should it change in between, the script refuses and we read again.
    const nodeKey = this.keys.registrationsOfNode(node);
    for (let attempt = 1; ; attempt++) {
      const fields = new Set(rows.map((row) => row.f));
      for (const member of await this.redis.smembers(nodeKey)) {
        try {
          const pair = JSON.parse(member) as unknown;
          if (Array.isArray(pair) && typeof pair[0] === 'string') fields.add(pair[0]);
        } catch {
          // Not a [field, call-id] pair: the script drops it.
        }
      }
      const ordered = [...fields];
      try {
        const result = (await runScript(
          this.redis,
          'registration-reconcile',
          [this.keys.named(this.settings.hash), nodeKey, this.keys.nodeLease(node), this.removedKey(node), ...ordered.map((f) => this.keys.registrationContacts(f))],
          [node, JSON.stringify(ordered), JSON.stringify(rows), fence.token, now],
        )) as [number, number, number];
        return { removed: Number(result[0]), added: Number(result[1]), skipped: Number(result[2]) };
      } catch (error) {
        if (attempt >= 3 || !(error instanceof Error) || !error.message.includes('FREECTI_RECONCILE_KEYS')) throw error;
      }
    }
  }

  /** Live contacts of one extension (for max-registrations-per-extension). */
  async liveContacts(extension: string, domain: string, now = Date.now()): Promise<LiveContacts> {
    const all = await this.redis.hgetall(this.keys.registrationContacts(this.field(extension, domain)));
    const callIds = new Set<string>();
    const addresses = new Set<string>();
    for (const [callId, raw] of Object.entries(all)) {
      try {
        const value = JSON.parse(raw) as Partial<ContactValue>;
        if (value.d === domain && typeof value.x === 'number' && value.x > now) {
          callIds.add(callId);
          if (typeof value.a === 'string' && value.a !== '') addresses.add(value.a);
        }
      } catch {
        // A damaged entry is not a live device.
      }
    }
    return { count: callIds.size, callIds, addresses };
  }
}
