/**
 * Every Redis key name freecti uses is built here, so the key schema
 * (docs/redis-keys.md) has one source. Seed-compatible names (cti_exten@<domain>,
 * registrations, calls) keep their exact shape after the configured prefix; freecti's
 * own keys sit under the `{freecti}` hash tag so that multi-key scripts stay in one
 * Redis Cluster slot.
 */
export class Keys {
  constructor(readonly prefix: string = '') {}

  /** freecti-internal key: `<prefix>{freecti}:<parts...>`. */
  internal(...parts: string[]): string {
    return `${this.prefix}{freecti}:${parts.join(':')}`;
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

  /** Hash per published registration field: call-id -> JSON {node, domain, expiresAt, event}. */
  registrationContacts(field: string): string {
    return this.internal('reg', 'contacts', field);
  }

  /** Prefix of registrationContacts keys (Lua scripts build the per-field names from it). */
  registrationContactsPrefix(): string {
    return this.internal('reg', 'contacts', '');
  }

  /** Set of the registrations one FreeSWITCH node holds: members JSON [field, call-id]. */
  registrationsOfNode(node: string): string {
    return this.internal('reg', 'node', node);
  }

  /** Set of the live calls one FreeSWITCH node holds: members JSON [field, uuid]. */
  callsOfNode(node: string): string {
    return this.internal('calls', 'node', node);
  }

  /** The lease of one FreeSWITCH node's event stream (value = holder token). */
  nodeLease(node: string): string {
    return this.internal('lease', node);
  }

  // --- Line groups (src/linegroups, docs/linegroups.md) ---

  /** Hash of the line groups: field = group name, value = JSON config. */
  linegroups(): string {
    return this.internal('linegroups');
  }

  /** Round-robin counter of one line group. */
  linegroupCursor(group: string): string {
    return this.internal('lg', group, 'cursor');
  }

  /** Per-destination-prefix CPS window (zset) of one line group; `line` = '' for the group-wide one. */
  linegroupPrefixCps(group: string, line: string, prefix: string): string {
    return this.internal('lg', group, 'pfx', line, prefix);
  }

  /** State of one line: hash (quarantine, failures), leases zset, CPS window zset. */
  line(group: string, line: string): { state: string; leases: string; cps: string } {
    return {
      state: this.internal('lg', group, 'line', line, 'state'),
      leases: this.internal('lg', group, 'line', line, 'leases'),
      cps: this.internal('lg', group, 'line', line, 'cps'),
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
}
