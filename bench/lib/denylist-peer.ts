/**
 * The peer of bench/policy.ts: the text scanners freecti shipped before the parser
 * (commit f7e5326: src/cli-http/denylist.ts, expansions.ts, command-policy.ts,
 * src/routing/action-policy.ts, toll-fraud.ts), kept here only to measure what the
 * parser and allow-list policy cost in comparison. Known bypassable (issue 8): never use it.
 */
export type DangerClass = 'shell' | 'script' | 'process' | 'indirection';

export const DANGEROUS: ReadonlyMap<string, DangerClass> = new Map<string, DangerClass>([
  // run a program on the FreeSWITCH host
  ['system', 'shell'],
  ['bg_system', 'shell'],
  ['bgsystem', 'shell'],
  ['spawn', 'shell'],
  ['spawn_stream', 'shell'],
  ['bg_spawn', 'shell'],
  // script interpreters (api and dialplan application names)
  ['lua', 'script'],
  ['luarun', 'script'],
  ['js', 'script'],
  ['jsrun', 'script'],
  ['jsapi', 'script'],
  ['javascript', 'script'],
  ['v8', 'script'],
  ['v8run', 'script'],
  ['perl', 'script'],
  ['perlrun', 'script'],
  ['python', 'script'],
  ['pyrun', 'script'],
  ['python3', 'script'],
  ['py3run', 'script'],
  ['java', 'script'],
  ['managed', 'script'],
  ['managedrun', 'script'],
  ['mono', 'script'],
  ['tcl', 'script'],
  ['yaml', 'script'],
  // the FreeSWITCH process and its configuration
  ['fsctl', 'process'],
  ['shutdown', 'process'],
  ['load', 'process'],
  ['unload', 'process'],
  ['reload', 'process'],
  ['bgload', 'process'],
  ['reloadxml', 'process'],
  ['reloadacl', 'process'],
  ['reload_acl', 'process'],
  ['global_setvar', 'process'],
  ['hupall', 'process'],
  ['xml_flush_cache', 'process'],
  // run another api command indirectly (its own arguments would escape the checks)
  ['expand', 'indirection'],
  ['eval', 'indirection'],
  ['sched_api', 'indirection'],
]);

/** `sofia` sub-commands that restart or reconfigure the SIP stack. */
const SOFIA_PROCESS = /^(?:profile\s+\S+\s+(?:start|stop|restart|rescan|killgw|flush_inbound_reg)\b|global\b|loglevel\b|tracelevel\b|recover\b)/i;

/**
 * Every dangerous name a command line mentions as a command or application: the
 * name must be delimited by characters that cannot be part of a file name or
 * number (`&`, `,`, `'`, `{`, `=`, `:`, `(`, white space, ...), so `/sounds/system.wav`
 * or `system-message.wav` do not count. Backslash escapes are looked through.
 */
export function dangerousNames(commandLine: string): string[] {
  const text = commandLine.replace(/\\/g, '').toLowerCase();
  const found = new Set<string>();
  const token = /[a-z0-9_]+/g;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    const name = m[0];
    if (!DANGEROUS.has(name)) continue;
    const before = m.index === 0 ? '' : (text[m.index - 1] ?? '');
    const after = text[m.index + name.length] ?? '';
    if (isDelimiter(before) && isDelimiter(after)) found.add(name);
  }
  const sofia = /^\s*sofia\s+(.*)$/is.exec(commandLine);
  if (sofia !== null && SOFIA_PROCESS.test(sofia[1] ?? '')) found.add('sofia-control');
  return [...found];
}

/** Characters that cannot continue a path, a file name or a number. */
function isDelimiter(ch: string): boolean {
  return ch === '' || !/[a-z0-9_./\-~%@]/.test(ch);
}
/** Index of the bracket that closes the block opening at `from` (quote-aware), or -1. */
export function blockEnd(text: string, from: number, open: string, close: string): number {
  let depth = 0;
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
    } else if (ch === "'") {
      quoted = !quoted;
    } else if (!quoted && ch === open) {
      depth++;
    } else if (!quoted && ch === close && --depth === 0) {
      return i;
    }
  }
  return -1;
}
export const SAFE_EXPANSION_APIS: ReadonlySet<string> = new Set(['strftime', 'strepoch', 'sofia_contact', 'verto_contact', 'user_data']);

const VARIABLE = /^[A-Za-z0-9_.:-]+$/;
const API_CALL = /^([A-Za-z0-9_]+)(?:\(|\s)/;
const WORD = /[A-Za-z0-9_]/;

/** Reasons the text needs the `expansions` grant (empty when none). */
export function expansionProblems(text: string): string[] {
  const problems: string[] = [];
  const expansionEnds = new Set<number>();
  for (let at = text.indexOf('${'); at >= 0; at = text.indexOf('${', at + 2)) {
    const end = blockEnd(text, at + 1, '{', '}');
    if (end < 0) continue; // unbalanced: FreeSWITCH leaves it as text
    const inner = text.slice(at + 2, end);
    const before = text[at - 1] ?? '';
    const beforeIsDollar = before === '$' && (text[at - 2] ?? '') !== '\\';
    const start = beforeIsDollar ? at - 1 : at;
    const prev = text[start - 1] ?? '';
    const next = text[end + 1] ?? '';
    expansionEnds.add(end);
    if (WORD.test(prev) || expansionEnds.has(start - 1) || WORD.test(next) || next === '$') problems.push(`spliced expansion \${${inner.slice(0, 40)}}`);
    if (!VARIABLE.test(inner)) {
      const api = API_CALL.exec(inner)?.[1];
      if (api === undefined || !SAFE_EXPANSION_APIS.has(api.toLowerCase())) problems.push(`api expansion \${${inner.slice(0, 40)}}`);
    }
  }
  return problems;
}
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
export const ALLOWED_APPLICATIONS: ReadonlySet<string> = new Set([
  // call setup and teardown
  'answer', 'pre_answer', 'ring_ready', 'hangup', 'respond', 'redirect', 'deflect', 'sched_hangup',
  // connecting calls
  'bridge', 'transfer', 'sched_transfer', 'att_xfer', 'park', 'valet_park', 'conference', 'callcenter', 'fifo', 'voicemail',
  // media
  'playback', 'endless_playback', 'loop_playback', 'gentones', 'say', 'speak', 'echo', 'sleep', 'delay_echo',
  'record', 'record_session', 'stop_record_session', 'displace_session', 'stop_displace_session',
  // digits
  'play_and_get_digits', 'read', 'start_dtmf', 'stop_dtmf', 'send_dtmf', 'flush_dtmf', 'bind_digit_action', 'clear_digit_action',
  // channel variables
  'set', 'export', 'unset', 'multiset', 'push', 'unshift', 'set_profile_var', 'privacy',
  // limits and bookkeeping
  'limit', 'log', 'info', 'event', 'send_display', 'wait_for_answer', 'wait_for_silence',
]);

export const REFUSED: Readonly<Record<string, string>> = {
  system: 'runs a shell command',
  bgsystem: 'runs a shell command',
  lua: 'runs inline script code',
  luarun: 'runs script code',
  perl: 'runs script code',
  python: 'runs script code',
  javascript: 'runs script code',
  eval: 'evaluates expressions (API calls)',
  socket: 'hands the call to any TCP host',
  curl: 'makes requests to any host',
  set_global: 'changes global variables for every call',
  eavesdrop: 'listens to other calls',
  three_way: 'joins other calls',
  intercept: 'takes over other calls',
  userspy: 'listens to other calls',
  set_user: 'takes over another user identity',
};

/** `${name(` = an API call inside variable expansion; `$${...}` and `${...}` alone are fine. */
const API_EXPANSION = /\$\{[^}(]*\(/;
/** Channel variables that make FreeSWITCH run an API or an application later. */
const HOOK_VARIABLE = /(?:^|[\s{}[\],;^:])(?:nolocal:)?(api_[a-z0-9_]*|execute_on_[a-z0-9_]*|[a-z0-9_]*_hook|[a-z0-9_]*_app|exec_[a-z0-9_]*)\s*=/i;

export const APPLICATION_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Why an action is refused, or undefined when it may run. */
export function refusal(application: string, data: string): string | undefined {
  if (!APPLICATION_NAME.test(application)) return `application name ${JSON.stringify(application.slice(0, 64))} is not a plain name`;
  const why = REFUSED[application];
  if (why !== undefined) return `application '${application}' is refused (${why})`;
  if (!ALLOWED_APPLICATIONS.has(application)) return `application '${application}' is not in the allow-list`;
  if (API_EXPANSION.test(data)) return `data of '${application}' calls an API through \${...(...)}`;
  const hook = HOOK_VARIABLE.exec(data);
  if (hook !== null) return `data of '${application}' sets '${hook[1] ?? ''}', which runs commands`;
  return undefined;
}
const BRIDGING = new Set(['bridge', 'att_xfer']);
const TRANSFERRING = new Set(['transfer', 'sched_transfer']);

/** Endpoints of a dial string: `{vars}` / `[vars]` blocks removed, split on `,` `|` `:_:`. */
export function dialEndpoints(data: string): string[] {
  return data
    .replace(/\{[^}]*\}|\[[^\]]*\]|<[^>]*>/g, '')
    .split(/,|\||:_:/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Why an action would let a call from `context` reach an outbound line, or undefined. */
export function outboundReach(action: { application: string; data: string }, context: string): string | undefined {
  if (BRIDGING.has(action.application)) {
    const outside = dialEndpoints(action.data).find((endpoint) => !/^user\/[^/]+$/.test(endpoint));
    if (outside !== undefined) return `'${action.application}' to '${outside}' (only user/<extension> may be dialled from context '${context}')`;
  }
  if (TRANSFERRING.has(action.application)) {
    // transfer <extension> [<dialplan> [<context>]]; sched_transfer [+]<time> <extension> [<dialplan> [<context>]]
    const words = action.data.trim().split(/\s+/);
    const target = action.application === 'sched_transfer' ? words[3] : words[2];
    if (target !== undefined && target !== context) return `'${action.application}' to context '${target}' (calls from '${context}' stay in '${context}')`;
  }
  return undefined;
}

/** The first reason the action list reaches outbound lines, or undefined. */
export function listReachesOutbound(actions: readonly { application: string; data: string }[], context: string): string | undefined {
  for (const action of actions) {
    const why = outboundReach(action, context);
    if (why !== undefined) return why;
  }
  return undefined;
}
