/**
 * Every Redis key name freecti uses is built here, so the key schema
 * (docs/redis-keys.md) has one source. Seed-compatible names (cti_exten@<domain>,
 * registrations, calls) keep their exact shape after the configured prefix.
 *
 * Hash tags (Redis Cluster runs a script only when all its keys are in one slot):
 * - registration and call state sit in the slot of the seed hash they change with
 *   (`{registrations}`, `{calls}`: the tag of a key without one is the key itself, so
 *   `{registrations}:...` hashes like `registrations`), so every state script is
 *   single-slot without renaming a seed key;
 * - a node's lease lives beside the registration state, with a copy of its token beside
 *   the call state (each state script checks the copy in its own slot);
 * - each line group has its own tag `{freecti:lg:<group>}`: groups spread over the
 *   cluster, a group's scripts stay single-slot;
 * - the rest (routes, line-group configs, CLI counters and audit) are single-key
 *   operations under `{freecti}`.
 */
import type { Config } from './config/schema.js';
import { hashTag } from './redis-slot.js';

/** Names of the seed hashes the state keys follow (gui.registration.hash, gui.call.hash). */
export interface SeedHashes {
  registrations: string;
  calls: string;
}

export const DEFAULT_SEED_HASHES: SeedHashes = { registrations: 'registrations', calls: 'calls' };

/** The Keys of a configuration: its prefix and seed hash names. */
export function keysFor(config: Pick<Config, 'redis' | 'gui'>): Keys {
  return new Keys(config.redis.keyPrefix, { registrations: config.gui.registration.hash, calls: config.gui.call.hash });
}

export class Keys {
  private readonly registrationTag: string;
  private readonly callTag: string;

  constructor(
    readonly prefix: string = '',
    readonly seeds: SeedHashes = DEFAULT_SEED_HASHES,
  ) {
    // A seed name with a '}' and no tag cannot be followed by a tag; outside Cluster any tag will do.
    this.registrationTag = hashTag(this.named(seeds.registrations)) ?? '{freecti}';
    this.callTag = hashTag(this.named(seeds.calls)) ?? '{freecti}';
  }

  /** freecti-internal key: `<prefix>{freecti}:<parts...>`. */
  internal(...parts: string[]): string {
    return `${this.prefix}{freecti}:${parts.join(':')}`;
  }

  /**
   * One nwaycallout campaign's keys, in the campaign's own slot (its scripts touch only
   * these): `<prefix>{freecti:callout:<id>}` (the record) and `...:<part>`.
   */
  callout(id: string, part?: string): string {
    return `${this.prefix}{freecti:callout:${id}}${part === undefined ? '' : `:${part}`}`;
  }

  /**
   * The campaign events of every campaign, a capped stream each instance tails for its
   * WebSocket clients: `<prefix>{freecti:callout}:events` (a tag of its own, not a
   * campaign's: one key every instance reads with one XREAD).
   */
  calloutEvents(): string {
    return `${this.prefix}{freecti:callout}:events`;
  }

  // --- Extensions, registrations, calls, leases (docs/redis-keys.md, "Directory and state") ---

  /** Seed key: hash of the extensions of one domain (field = extension, value = JSON). */
  extensions(domain: string): string {
    return `${this.prefix}cti_exten@${domain}`;
  }

  /** A seed-compatible key whose name comes from configuration (`registrations`, `calls`, lists, channels). */
  named(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Registration state key, in the slot of the seed registrations hash. */
  private registrationState(...parts: string[]): string {
    return `${this.prefix}${this.registrationTag}:freecti:${parts.join(':')}`;
  }

  /** Call state key, in the slot of the seed calls hash. */
  private callState(...parts: string[]): string {
    return `${this.prefix}${this.callTag}:freecti:${parts.join(':')}`;
  }

  /** Hash per published registration field: call-id -> JSON {node, domain, expiresAt, event}. */
  registrationContacts(field: string): string {
    return this.registrationState('reg', 'contacts', field);
  }

  /** Set of the registrations one FreeSWITCH node holds: members JSON [field, call-id]. */
  registrationsOfNode(node: string): string {
    return this.registrationState('reg', 'node', node);
  }

  /** Zset of the registrations one node removed recently (see registration-remove-6.lua). */
  registrationsRemoved(node: string): string {
    return this.registrationState('reg', 'removed', node);
  }

  /** Set of the live calls one FreeSWITCH node holds: members JSON [field, uuid]. */
  callsOfNode(node: string): string {
    return this.callState('calls', 'node', node);
  }

  /** The lease of one FreeSWITCH node's event stream (value = holder token); fences the registration scripts. */
  nodeLease(node: string): string {
    return this.registrationState('lease', node);
  }

  /**
   * The copy of a node's lease token beside the call state (same TTL, written by the
   * holder with every acquire and renewal); fences the call scripts. Equal to nodeLease
   * when both seed hashes share a hash tag.
   */
  nodeLeaseForCalls(node: string): string {
    return this.callState('lease', node);
  }

  /** The keys that carry a copy of the node's lease token besides nodeLease itself. */
  nodeLeaseCopies(node: string): string[] {
    const copy = this.nodeLeaseForCalls(node);
    return copy === this.nodeLease(node) ? [] : [copy];
  }

  // --- Line groups (src/linegroups, docs/linegroups.md) ---

  /** Hash of the line groups: field = group name, value = JSON config. */
  linegroups(): string {
    return this.internal('linegroups');
  }

  /** Key of one line group: `<prefix>{freecti:lg:<group>}:<parts...>` (one slot per group). */
  private linegroup(group: string, ...parts: string[]): string {
    return `${this.prefix}{freecti:lg:${group}}:${parts.join(':')}`;
  }

  /** Round-robin counter of one line group. */
  linegroupCursor(group: string): string {
    return this.linegroup(group, 'cursor');
  }

  /** Per-destination-prefix CPS window (zset) of one line group; `line` = '' for the group-wide one. */
  linegroupPrefixCps(group: string, line: string, prefix: string): string {
    return this.linegroup(group, 'pfx', line, prefix);
  }

  /** State of one line: hash (quarantine, failures), leases zset, CPS window zset. */
  line(group: string, line: string): { state: string; leases: string; cps: string } {
    return {
      state: this.linegroup(group, 'line', line, 'state'),
      leases: this.linegroup(group, 'line', line, 'leases'),
      cps: this.linegroup(group, 'line', line, 'cps'),
    };
  }

  // --- HTTP call routing (src/routing, docs/routing.md) ---

  /** Hash of the routing rules: field = route id, value = JSON route. */
  routes(): string {
    return this.internal('routes');
  }

  // --- HTTP CLI (src/cli-http, docs/cli.md) ---

  /** Calls of one CLI key in one rate window (string counter, PEXPIRE two windows). */
  cliRate(keyId: string, window: number): string {
    return this.internal('cli', 'rate', keyId, String(window));
  }

  /** Audit stream of CLI calls (XADD MAXLEN cli.auditStreamMaxLen). */
  cliAudit(): string {
    return this.internal('cli', 'audit');
  }

  // --- ACD (src/acd, docs/acd.md "Redis keys"): every key under the one `{freecti:acd}` tag ---

  /** Prefix of every ACD key, `<prefix>{freecti:acd}:`; lua/acd-engine-1.lua derives per-entity names from it. */
  acdTag(): string {
    return `${this.prefix}{freecti:acd}:`;
  }

  /** ACD key `<prefix>{freecti:acd}:<parts...>`. */
  acd(...parts: string[]): string {
    return `${this.acdTag()}${parts.join(':')}`;
  }

  /** Hash of the queues: field = queue name, value = JSON QueueConfig. */
  acdQueues(): string {
    return this.acd('queues');
  }

  /** Hash of the agents: field = agent id, value = JSON AgentConfig. */
  acdAgents(): string {
    return this.acd('agents');
  }

  /** Hash of one agent's live state (st, since, ready, idle, calls, talk, na, offer, call, ...). */
  acdAgent(agent: string): string {
    return this.acd('a', agent);
  }

  /** Hash of one agent's tiers: field = queue, value = `<level>:<position>`. */
  acdAgentTiers(agent: string): string {
    return this.acd('aq', agent);
  }

  /** Hash of one queue's tiers: field = agent, value = `<level>:<position>`. */
  acdQueueTiers(queue: string): string {
    return this.acd('qt', queue);
  }

  /** Zset of one queue's waiting callers: member = entry id, score = (100 - priority) * 1e13 + joined ms. */
  acdWaiting(queue: string): string {
    return this.acd('w', queue);
  }

  /** Hash of one caller entry. */
  acdEntry(entryId: string): string {
    return this.acd('e', entryId);
  }

  /** Hash: channel uuid -> `e:<entry id>` (caller) or `a:<agent>` (agent leg). */
  acdUuids(): string {
    return this.acd('uuid');
  }

  /** Hash of the ACD channels of one FreeSWITCH node: uuid -> when it was recorded (ms). */
  acdNodeCalls(node: string): string {
    return this.acd('n', node);
  }

  /** Zset of the engine's timers: member `<kind>:<id>`, score = due (ms). */
  acdTimers(): string {
    return this.acd('timers');
  }

  /** The queue log (capped stream). */
  acdLog(): string {
    return this.acd('log');
  }

  /** Pub/sub channel: the earliest timer moved earlier (message = its due time, ms). */
  acdWake(): string {
    return this.acd('wake');
  }

  /** Statistics bucket of a queue (`kind` q) or agent (a): per minute (`m`) or UTC day (`d`). */
  acdStats(kind: 'q' | 'a', id: string, span: 'm' | 'd', bucket: number): string {
    return this.acd('s', kind, id, span, String(bucket));
  }

  // --- nacd HTTP callflow (src/nacd, docs/nacd.md): single-key operations under `{freecti}` ---

  /** Hash of the nacd groups: field = group number, value = JSON NacdGroup. */
  nacdGroups(): string {
    return this.internal('nacd', 'groups');
  }

  /** Hash of the inbound DIDs: field = dialed number, value = JSON DidIn (extension, queue or group). */
  nacdDidIn(): string {
    return this.internal('nacd', 'did', 'in');
  }

  /** Hash of the outbound DIDs: field = extension or group number, value = JSON DidOut (caller id, line group or gateway). */
  nacdDidOut(): string {
    return this.internal('nacd', 'did', 'out');
  }
}
