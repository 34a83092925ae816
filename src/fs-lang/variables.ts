/**
 * Channel variables that make FreeSWITCH run something later, and what their values
 * must be. Names are literal (var-block.ts), `nolocal:` is already removed.
 *
 * - `execute_on_*` (with any suffix: `execute_on_answer_start_record`): the value is
 *   `<app> <args>`, `<app>::<args>` (async) or `<app>:<args>` and must pass as that
 *   application with those arguments;
 * - `api_on_*`, `api_*_hook`, `*_hook`, `api_before_bridge`, `api_after_bridge`: the
 *   value is `<command> <args>` and must pass as a command the origin may run (routing
 *   and bridge replies may run none);
 * - `session_in_hangup_hook`: true or false, and only where api hooks may be;
 * - any other name with a word that means "run something" (exec, execute, hook, api,
 *   app, application, outcall, socket, system, spawn) is refused: FreeSWITCH has more
 *   such variables than we parse (`exec_after_bridge_app`, `bridge_pre_execute_bleg_app`,
 *   `record_post_process_exec_api`, `conference_auto_outcall`...);
 * - `record_filename`: a path to write (media.ts), since `${record_filename}` is
 *   accepted as a recording path; `ringback`, `transfer_ringback`, `hold_music`...: a
 *   file to play (an http URL there is fetched); `context`, `dialplan`,
 *   `force_transfer_context`, `transfer_after_bridge`...: only with outbound scope;
 * - every value, hooks included: policy.value (allowed expansions, no stray `$ { }`).
 */
import { isVariableName, type ChannelVar } from './var-block.js';
import type { PolicyChecks as FsPolicy } from './checks.js';
import { PolicyRefusal, type Scope } from './refusal.js';

/** Variables whose value is a file FreeSWITCH plays (a URL there is fetched). */
const MEDIA: ReadonlySet<string> = new Set(['ringback', 'transfer_ringback', 'hold_music', 'temp_hold_music', 'park_music', 'bridge_answer_ringback', 'sound_prefix']);
/** Variables that decide where a call goes next: set only with outbound scope. */
const ROUTING: ReadonlySet<string> = new Set(['context', 'dialplan', 'force_transfer_context', 'force_transfer_dialplan', 'transfer_after_bridge', 'transfer_fallback_extension']);
const RUNS_SOMETHING = new Set(['exec', 'execute', 'hook', 'api', 'app', 'application', 'outcall', 'socket', 'system', 'spawn']);
const APP_HOOK = /^execute_on_[a-z0-9_]+$/;
const API_HOOK = /^(?:api_on_[a-z0-9_]+|api_[a-z0-9_]*hook|[a-z0-9_]+_hook|api_before_bridge|api_after_bridge)$/;

export function checkVariable(policy: FsPolicy, v: ChannelVar, scope: Scope, where: string): void {
  const name = v.name.replace(/^nolocal:/i, '').toLowerCase();
  if (!isVariableName(name)) throw new PolicyRefusal(`${where}: '${v.name.slice(0, 60)}' is not a literal variable name`);
  policy.value(v.value, where);
  if (name === 'session_in_hangup_hook') {
    if (scope.command === undefined) throw new PolicyRefusal(`${where}: hangup hooks are not allowed here`);
    if (!/^(?:true|false)$/i.test(v.value)) throw new PolicyRefusal(`${where}: must be true or false`);
    return;
  }
  if (APP_HOOK.test(name)) {
    const hook = /^([A-Za-z0-9_]{1,64})(?:(?:::|:|\s+)([^]*))?$/.exec(v.value.trim());
    if (hook === null) throw new PolicyRefusal(`${where}: '${v.value.slice(0, 60)}' is not <application> <arguments>`);
    policy.application(hook[1] as string, hook[2] ?? '', scope, `${where} (runs ${hook[1] ?? ''})`);
    return;
  }
  if (API_HOOK.test(name)) {
    const [command = '', ...rest] = v.value.trim().split(/\s+/);
    if (scope.command === undefined) throw new PolicyRefusal(`${where}: api hooks are not allowed here`);
    policy.command(command, rest.join(' '), scope);
    return;
  }
  if (name.split(/[_.-]/).some((word) => RUNS_SOMETHING.has(word))) {
    throw new PolicyRefusal(`${where}: '${v.name}' makes FreeSWITCH run something and is not one freecti checks`);
  }
  if (ROUTING.has(name) && !scope.outbound) throw new PolicyRefusal(`${where}: '${name}' would send the call out of ${scope.context === undefined ? 'this context' : `context '${scope.context}'`}`);
  if (name === 'record_filename') policy.recordPath(v.value, where);
  else if (MEDIA.has(name)) policy.media(v.value, where);
}
