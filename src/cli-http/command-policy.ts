/**
 * Which commands a key may run. Pure.
 *
 * A key's `allow` list holds command names (`status`, `uuid_kill`, `cti_originate`)
 * and globs (`uuid_*`, `show`, `*`). The command checked is the one FreeSWITCH will
 * run: `bgapi X ...` is checked as `X`, and `sched_api <time> <group> X ...` needs
 * both `sched_api` and `X`. On top of that every dangerous name (denylist.ts) the
 * whole line mentions must be listed exactly; a glob never grants one, nor
 * `expansions` (a `${...}` that could build a command name at run time) or
 * `sofia-control` (restarting SIP profiles).
 * Typed-API operations use pseudo commands such as `events` or `eavesdrop`.
 */
import { DANGEROUS, dangerousNames } from './denylist.js';
import { expansionProblems } from './expansions.js';

/** Grant needed by `${...}` expansions that could build a command at run time (expansions.ts). */
export const EXPANSIONS = 'expansions';
/** Capabilities that, like the denylist, only an exact allow entry grants. */
const PSEUDO_DANGEROUS: ReadonlySet<string> = new Set(['sofia-control', EXPANSIONS]);

export interface PolicyDecision {
  allowed: boolean;
  /** The commands the line needs, first the one FreeSWITCH runs. */
  needs: string[];
  /** The needed names this key does not grant (empty when allowed). */
  missing: string[];
}

const NAME = /^[A-Za-z0-9_]+$/;

export function globToRegExp(glob: string): RegExp {
  const body = glob.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${body}$`);
}

export class CommandPolicy {
  private readonly exact: ReadonlySet<string>;
  private readonly globs: readonly RegExp[];

  constructor(allow: readonly string[]) {
    this.exact = new Set(allow.filter((a) => !a.includes('*')).map((a) => a.toLowerCase()));
    this.globs = allow.filter((a) => a.includes('*')).map(globToRegExp);
  }

  /** True when the key grants this one name (dangerous names: exact entries only). */
  grants(name: string): boolean {
    const lower = name.toLowerCase();
    if (this.exact.has(lower)) return true;
    if (DANGEROUS.has(lower) || PSEUDO_DANGEROUS.has(lower)) return false;
    return this.globs.some((g) => g.test(lower));
  }

  /** Checks `cmd` with `arg` as the HTTP CLI received them. */
  check(cmd: string, arg: string): PolicyDecision {
    const needs = requiredCommands(cmd, arg);
    const missing = needs.filter((n) => !this.grants(n));
    return { allowed: missing.length === 0, needs, missing };
  }
}

/** The commands a CLI call needs: the effective command(s), then every dangerous name mentioned. */
export function requiredCommands(cmd: string, arg: string): string[] {
  const needs: string[] = [];
  let command = cmd.trim().toLowerCase();
  let rest = arg.trim();
  // Unwrap bgapi / sched_api (possibly nested) down to the command FreeSWITCH runs.
  for (let depth = 0; depth < 8; depth++) {
    if (command === 'bgapi') {
      const [inner, tail] = splitFirst(rest);
      command = inner.toLowerCase();
      rest = tail;
    } else if (command === 'sched_api') {
      needs.push('sched_api');
      // sched_api [+@]<time> <group_name|none> <command_string>[&]
      const [, afterTime] = splitFirst(rest);
      const [, afterGroup] = splitFirst(afterTime);
      const [inner, tail] = splitFirst(afterGroup);
      command = inner.toLowerCase();
      rest = tail.replace(/&\s*$/, '');
    } else {
      break;
    }
  }
  needs.unshift(NAME.test(command) ? command : `invalid:${command.slice(0, 32)}`);
  for (const name of dangerousNames(`${cmd} ${arg}`)) if (!needs.includes(name)) needs.push(name);
  if (expansionProblems(arg).length > 0) needs.push(EXPANSIONS);
  return needs;
}

function splitFirst(text: string): [string, string] {
  const trimmed = text.trimStart();
  const space = trimmed.search(/\s/);
  if (space < 0) return [trimmed, ''];
  return [trimmed.slice(0, space), trimmed.slice(space + 1).trimStart()];
}
