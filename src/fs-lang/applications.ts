/**
 * The dialplan applications a reply, an originate or a hook may run, each with its
 * arguments parsed (docs/security.md lists them). A name not here is refused unless a
 * CLI key grants it exactly (its arguments are then only checked as text) or the
 * operator lists it in `security.extraApplications` (a module of their own).
 *
 * Never here, and so only reachable by an exact grant: `socket` (hands the call and the
 * ESL API to any host), `system`/`bg_system`/`spawn` (a shell), script runners (`lua`,
 * `javascript`, `perl`, `python`...), `eval`, `expand`, `curl`, `set_global`,
 * `bind_digit_action`/`bind_meta_app` (they run other applications), `event` (forges
 * events freecti consumes), and `eavesdrop`/`intercept`/`three_way`/`userspy` (other calls;
 * `three_way` passes only in the originate nway_threeway builds, FsPolicy.threeWayOriginate).
 */
import { parseAssignment, parseVarBlock } from './var-block.js';
import { separateWords, splitWords } from './scan.js';
import type { PolicyChecks as FsPolicy } from './checks.js';
import { PolicyRefusal, type Scope } from './refusal.js';

type Check = (policy: FsPolicy, data: string, scope: Scope, where: string) => void;

const text: Check = (policy, data, _scope, where) => policy.text(data, where);
const media: Check = (policy, data, _scope, where) => policy.media(data, where);
const dial: Check = (policy, data, scope, where) => void policy.dialString(data, scope, where);
const transfer: Check = (policy, data, scope, where) => policy.transfer(data, scope, where);

const assign: Check = (policy, data, scope, where) => {
  const v = policy.parse(where, () => parseAssignment(data.trim()));
  policy.variable(v, scope, `${where} '${v.name}'`);
};

/** `<path> [numbers...]`: the first word is a file to write. */
const record: Check = (policy, data, _scope, where) => {
  const [path = '', ...rest] = words(policy, data, where);
  policy.recordPath(path, where);
  for (const word of rest) if (!/^\+?\d{1,9}$/.test(word)) throw new PolicyRefusal(`${where}: '${word.slice(0, 40)}' is not a number`);
};

/** The first word is a file to read, the rest plain words. */
const mediaFirst: Check = (policy, data, _scope, where) => {
  const [file = '', ...rest] = words(policy, data, where);
  policy.media(file, where);
  for (const word of rest) policy.text(word, where);
};

/**
 * The words of data an application splits itself (switch_separate_string on ' ' into
 * `max` words, the last the rest of the data; each word cleaned). A word is checked as
 * FreeSWITCH hands it on: never joined with others and split again.
 */
function words(policy: FsPolicy, data: string, where: string, max?: number): string[] {
  return policy.parse(where, () => separateWords(data, max));
}

/** Only a call allowed to go outbound may be sent elsewhere by SIP (302, REFER). */
const outboundText: Check = (policy, data, scope, where) => {
  if (!scope.outbound) throw new PolicyRefusal(`${where}: sends the call outside this context`);
  policy.text(data, where);
};

const literal: Check = (_policy, data, _scope, where) => {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(data.trim())) throw new PolicyRefusal(`${where}: '${data.slice(0, 40)}' is not a variable name`);
};

export const APPLICATIONS: ReadonlyMap<string, Check> = new Map<string, Check>([
  // call setup and teardown
  ['answer', text], ['pre_answer', text], ['ring_ready', text], ['hangup', text], ['respond', text], ['sched_hangup', text],
  ['redirect', outboundText], ['deflect', outboundText], ['wait_for_answer', text], ['info', text], ['log', text],
  // connecting calls
  ['bridge', dial], ['att_xfer', dial], ['transfer', transfer],
  ['sched_transfer', (policy, data, scope, where) => {
    const [time = '', ...rest] = words(policy, data, where);
    if (!/^\+?\d{1,9}$/.test(time)) throw new PolicyRefusal(`${where}: '${time.slice(0, 20)}' is not a time`);
    policy.transferWords(rest, scope, where); // argv as FreeSWITCH split it: a quoted inline list stays one word
  }],
  ['park', text], ['valet_park', text], ['callcenter', text], ['fifo', text], ['voicemail', text],
  ['conference', (policy, data, scope, where) => {
    const bridged = /^bridge:([^:]+):([^]*)$/i.exec(data.trim());
    if (bridged !== null) {
      policy.text(bridged[1] as string, where);
      policy.dialString(bridged[2] as string, scope, where);
      return;
    }
    // <name>[@<profile>][+flags{<flag>|<flag>}][+<pin>]; the name may hold allowed expansions.
    if (!CONFERENCE.test(data.trim())) throw new PolicyRefusal(`${where}: '${data.slice(0, 60)}' is not <name>[@<profile>][+flags{...}][+<pin>] or bridge:<name>:<dial string>`);
    policy.text(data, where);
  }],
  // media
  ['playback', media], ['endless_playback', media],
  ['loop_playback', (policy, data, scope, where) => mediaFirst(policy, data.trim().replace(/^\+\d{1,6}\s+/, ''), scope, where)],
  ['displace_session', mediaFirst], ['stop_displace_session', media],
  ['gentones', text], ['say', text], ['speak', text], ['echo', text], ['sleep', text], ['delay_echo', text],
  ['record', record], ['record_session', record],
  ['stop_record_session', (policy, data, scope, where) => (data.trim() === 'all' ? undefined : record(policy, data, scope, where))],
  // digits
  ['play_and_get_digits', (policy, data, scope, where) => {
    // min max tries timeout terminators file invalid_file var_name regexp [digit_timeout] [transfer_on_failure]
    // (mod_dptools: argv[11], so transfer_on_failure is the rest of the data, cleaned once;
    // switch_play_and_get_digits splits it again into <extension> [<dialplan> [<context>]]).
    const w = words(policy, data, where, 11);
    if (w.length < 5) throw new PolicyRefusal(`${where}: expected min max tries timeout terminators file ...`);
    for (const [i, word] of w.slice(0, 10).entries()) {
      if (i === 5 || (i === 6 && word !== "''" && word !== '')) policy.media(word.replace(/^'|'$/g, ''), where);
      else if (i === 7) literal(policy, word, scope, where);
      else policy.text(word, where);
    }
    if (w[10] !== undefined) policy.transfer(w[10], scope, `${where} transfer_on_failure`);
  }],
  ['read', (policy, data, scope, where) => {
    // min max sound_file variable_name timeout terminators
    const w = words(policy, data, where);
    for (const [i, word] of w.entries()) {
      if (i === 2) policy.media(word, where);
      else if (i === 3) literal(policy, word, scope, where);
      else policy.text(word, where);
    }
  }],
  ['start_dtmf', text], ['stop_dtmf', text], ['send_dtmf', text], ['flush_dtmf', text], ['clear_digit_action', text],
  // channel variables
  ['set', assign], ['export', assign], ['push', assign], ['unshift', assign], ['set_profile_var', assign],
  ['unset', literal],
  ['multiset', (policy, data, scope, where) => {
    const body = data.trim();
    const vars = policy.parse(where, () => (body.startsWith('^^') ? parseVarBlock(body) : splitWords(body).map((w) => parseAssignment(w.text))));
    policy.variablesOf(vars, scope, where);
  }],
  ['privacy', text],
  // limits and bookkeeping
  ['limit', (policy, data, scope, where) => {
    // backend realm resource [max[/interval]] [transfer_destination [dialplan [context]]]
    // (mod_dptools limit_function: argv[7]; argv[4..6] go to the transfer as split, so a
    // quoted inline list is one word)
    const w = words(policy, data, where, 7);
    for (const word of w.slice(0, 4)) policy.text(word, where);
    if (w.length > 4) policy.transferWords(w.slice(4), scope, `${where} transfer on limit`);
  }],
  ['send_display', text], ['wait_for_silence', text],
  // other calls: only for an origin granted the `eavesdrop` command (the typed API's listen/whisper/barge)
  ['eavesdrop', (_policy, data, scope, where) => {
    if (scope.command?.('eavesdrop') !== true) throw new PolicyRefusal(`${where}: listening to other calls needs the 'eavesdrop' grant`);
    if (!UUID.test(data.trim())) throw new PolicyRefusal(`${where}: expected a channel uuid`);
  }],
]);

export const UUID = /^[0-9A-Za-z][0-9A-Za-z-]{7,63}$/;
const CONFERENCE = /^(?:[\p{L}\p{N}_.-]|\$\$?\{[A-Za-z0-9_.-]{1,64}\})+(?:@[A-Za-z0-9_.-]{1,64})?(?:\+flags\{[a-z_|-]{0,256}\})?(?:\+\d{1,16})?$/u;

export function checkApplication(policy: FsPolicy, name: string, data: string, scope: Scope, where: string): void {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(name)) throw new PolicyRefusal(`${where}: application name '${name.slice(0, 64)}' is not a plain name (lower case letters, digits, _)`);
  const lower = name;
  const check = APPLICATIONS.get(lower);
  if (check !== undefined) return check(policy, data, scope, where);
  if (policy.extraApplications.has(lower)) return policy.text(data, where);
  if (scope.exact?.(lower) === true) {
    scope.exactUsed?.push(lower);
    return policy.text(data, where);
  }
  throw new PolicyRefusal(`${where}: application '${lower}' is not in the allow-list`);
}
