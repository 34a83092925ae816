/**
 * Which dialplan applications a webhook may make FreeSWITCH run (docs/routing.md,
 * "Allowed applications"). An allow-list: a name not listed is refused, and the reply
 * falls back. Some applications are refused on purpose because they hand the machine,
 * other calls or the network to whoever controls the reply; `REFUSED` says why.
 *
 * Application data is checked too: FreeSWITCH expands `${name(args)}` in data by
 * running the API `name` (e.g. `${system(...)}`), and channel variables named like
 * `api_hangup_hook` or `execute_on_answer` run APIs/applications later. Both are refused.
 */

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
