/**
 * What one key may run (docs/security.md, "Keys"). A key's `allow` list holds command
 * names and globs (`uuid_*`, `*`):
 *
 * - a glob matches only commands of the allow-list table (src/fs-lang/commands.ts) and
 *   the typed API's own operations (`events`, `eavesdrop`): `*` means "every command
 *   freecti parses", never "anything";
 * - a name outside the table (`system`, `reloadxml`, `sched_api`, `expand`,
 *   `sofia-control`, an application such as `socket`) is granted only when the key
 *   lists it exactly; the audit line then names it (`exactGrants`).
 *
 * The command itself is checked by the one policy (src/fs-lang/policy.ts) with this
 * key's grants as its scope: the key may dial out, and runs what it is granted.
 */
import { COMMANDS } from '../fs-lang/commands.js';
import { PolicyRefusal, type FsPolicy, type Scope } from '../fs-lang/policy.js';
import type { CheckedCommand } from '../fs-lang/commands.js';

/** Typed-API operations that are not FreeSWITCH commands. */
export const OPERATIONS: ReadonlySet<string> = new Set(['events', 'eavesdrop']);

export type CommandDecision = { allowed: true; command: CheckedCommand } | { allowed: false; reason: string };

export function globToRegExp(glob: string): RegExp {
  const body = glob.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${body}$`);
}

export class KeyGrants {
  private readonly exactNames: ReadonlySet<string>;
  private readonly globs: readonly RegExp[];

  constructor(
    allow: readonly string[],
    private readonly policy: FsPolicy,
  ) {
    this.exactNames = new Set(allow.filter((a) => !a.includes('*')).map((a) => a.toLowerCase()));
    this.globs = allow.filter((a) => a.includes('*')).map(globToRegExp);
  }

  /** True when the key lists this name exactly. */
  exact(name: string): boolean {
    return this.exactNames.has(name.toLowerCase());
  }

  /** True when the key may run this command of the table (or typed-API operation). */
  grants(name: string): boolean {
    const lower = name.toLowerCase();
    if (this.exactNames.has(lower)) return true;
    if (!COMMANDS.has(lower) && !OPERATIONS.has(lower)) return false;
    return this.globs.some((g) => g.test(lower));
  }

  /** The policy scope of this key. */
  scope(): Scope {
    return { outbound: true, command: (n) => this.grants(n), exact: (n) => this.exact(n) };
  }

  /** Checks `cmd` with `arg` as the HTTP CLI (or a typed operation) would send them. */
  check(cmd: string, arg: string): CommandDecision {
    try {
      return { allowed: true, command: this.policy.command(cmd, arg, this.scope()) };
    } catch (error) {
      if (error instanceof PolicyRefusal) return { allowed: false, reason: error.message };
      throw error;
    }
  }
}
