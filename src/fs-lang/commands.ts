/**
 * The api commands a /cli key, the typed API or an api hook may run, each with its
 * arguments parsed (docs/security.md lists them). `bgapi` is unwrapped and costs
 * nothing; `sched_api` and `expand` run another command later or after expanding it,
 * so a key must name them exactly, and the command inside is checked all the same.
 *
 * A command not in the table (`system`, `lua`, `fsctl`, `load`, `reloadxml`, `msleep`,
 * `user_data`, `global_getvar`, `curl`, `xml_locate`, `eval`...) runs only for a key
 * that names it exactly; its arguments are then checked as text and the audit line
 * lists it (`exactUsed`). `sofia` runs read-only sub-commands; restarting or
 * reconfiguring a profile needs the exact grant `sofia-control`.
 */
import { parseCommandLine, type CommandLine } from './command-line.js';
import { cleanWord, splitWords } from './scan.js';
import { parseAssignment } from './var-block.js';
import { UUID } from './applications.js';
import type { PolicyChecks as FsPolicy } from './checks.js';
import { PolicyRefusal, type Scope } from './refusal.js';
import { nacdFsCommand, parseNacdCommand } from './nacd-commands.js';

export interface CheckedCommand extends CommandLine {
  /** Names that passed only because the key lists them exactly. */
  exactUsed: string[];
}

type Check = (policy: FsPolicy, w: string[], args: string, scope: Scope, where: string) => void;

const CAUSE = /^(?:[A-Z_]{3,40}|\d{1,3})$/;
const MEMBER = /^(?:\d{1,9}|all|last|non_moderator)$/;

function uuidAt(w: string[], i: number, where: string): void {
  if (!UUID.test(w[i] ?? '')) throw new PolicyRefusal(`${where}: expected a channel uuid, got '${(w[i] ?? '').slice(0, 40)}'`);
}

function oneOf(word: string | undefined, allowed: readonly string[], where: string): void {
  if (word === undefined || !allowed.includes(word.toLowerCase())) throw new PolicyRefusal(`${where}: expected ${allowed.join('|')}, got '${(word ?? '').slice(0, 40)}'`);
}

const plain: Check = (policy, w, _args, _scope, where) => {
  for (const word of w) policy.value(word, where);
};
const uuidOnly: Check = (_policy, w, _args, _scope, where) => {
  uuidAt(w, 0, where);
  if (w.length > 1) throw new PolicyRefusal(`${where}: expected only a channel uuid`);
};
const uuidThenPlain: Check = (policy, w, args, scope, where) => {
  uuidAt(w, 0, where);
  plain(policy, w.slice(1), args, scope, where);
};
/** `<uuid> <file or app::args> [leg]`: uuid_broadcast, sched_broadcast after its time. */
function broadcast(policy: FsPolicy, w: string[], scope: Scope, where: string): void {
  uuidAt(w, 0, where);
  const what = w[1] ?? '';
  const app = /^([A-Za-z0-9_]{1,64})::([^]*)$/.exec(what);
  if (app !== null) policy.application(app[1] as string, app[2] as string, scope, `${where} ${app[1] ?? ''}`);
  else policy.media(what, where);
  if (w[2] !== undefined) oneOf(w[2], ['aleg', 'bleg', 'holdb', 'both'], where);
  if (w.length > 3) throw new PolicyRefusal(`${where}: too many arguments`);
}

const SHOW = ['channels', 'calls', 'registrations', 'detailed_calls', 'bridged_calls', 'detailed_bridged_calls', 'codec', 'codecs', 'application', 'api', 'interfaces', 'endpoint', 'management', 'say', 'timer', 'tasks', 'aliases', 'complete', 'limits', 'status', 'nat_map'];
const CONFERENCE = ['list', 'json_list', 'xml_list', 'count', 'mute', 'unmute', 'tmute', 'deaf', 'undeaf', 'kick', 'hup', 'play', 'stop', 'lock', 'unlock', 'record', 'norecord', 'pause', 'resume', 'volume_in', 'volume_out', 'energy', 'dial', 'bgdial', 'transfer', 'relate', 'floor', 'vid-floor'];

export const COMMANDS: ReadonlyMap<string, Check> = new Map<string, Check>([
  ['status', plain], ['echo', plain], ['version', plain], ['uptime', plain], ['hostname', plain], ['strftime', plain], ['strepoch', plain],
  ['show', (policy, w, args, scope, where) => {
    oneOf(w[0], SHOW, where);
    plain(policy, w.slice(1), args, scope, where);
  }],
  ['sofia', (policy, w, args, scope, where) => {
    if (!['status', 'xmlstatus'].includes((w[0] ?? '').toLowerCase())) {
      if (scope.exact?.('sofia-control') !== true) throw new PolicyRefusal(`${where}: 'sofia ${(w[0] ?? '').slice(0, 20)}' changes the SIP stack (needs the exact grant sofia-control)`);
      scope.exactUsed?.push('sofia-control');
    }
    plain(policy, w.slice(1), args, scope, where);
  }],
  ['sofia_contact', plain], ['user_exists', plain], ['domain_exists', plain],
  ['originate', (policy, _w, args, scope, where) => void policy.originate(args, scope, where)],
  ['cti_originate', (policy, _w, args, scope, where) => void policy.originate(args, scope, where)],
  ['noriginate', (policy, _w, args, scope, where) => void policy.originate(args, { ...scope, nout: true }, where)],
  ['uuid_kill', (_policy, w, _args, _scope, where) => {
    uuidAt(w, 0, where);
    if (w[1] !== undefined && !CAUSE.test(w[1])) throw new PolicyRefusal(`${where}: '${w[1].slice(0, 40)}' is not a cause`);
    if (w.length > 2) throw new PolicyRefusal(`${where}: too many arguments`);
  }],
  ['uuid_transfer', (policy, w, _args, scope, where) => {
    uuidAt(w, 0, where);
    const rest = /^-(?:bleg|both)$/.test(w[1] ?? '') ? w.slice(2) : w.slice(1);
    policy.transferWords(rest, scope, where);
  }],
  ['uuid_broadcast', (policy, w, _args, scope, where) => broadcast(policy, w, scope, where)],
  ['sched_broadcast', (policy, w, _args, scope, where) => {
    if (!/^\+?\d{1,9}$/.test(w[0] ?? '')) throw new PolicyRefusal(`${where}: expected [+]<seconds>`);
    broadcast(policy, w.slice(1), scope, where);
  }],
  ['sched_hangup', (_policy, w, _args, _scope, where) => {
    if (!/^\+?\d{1,9}$/.test(w[0] ?? '')) throw new PolicyRefusal(`${where}: expected [+]<seconds>`);
    uuidAt(w, 1, where);
    if (w[2] !== undefined && !CAUSE.test(w[2])) throw new PolicyRefusal(`${where}: '${w[2].slice(0, 40)}' is not a cause`);
  }],
  ['uuid_hold', (_policy, w, _args, _scope, where) => uuidAt(w, /^(?:off|toggle)$/.test(w[0] ?? '') ? 1 : 0, where)],
  ['uuid_bridge', (_policy, w, _args, _scope, where) => {
    uuidAt(w, 0, where);
    uuidAt(w, 1, where);
  }],
  ['uuid_exists', uuidOnly], ['uuid_answer', uuidOnly], ['uuid_park', uuidOnly], ['uuid_break', uuidThenPlain],
  ['uuid_dump', uuidThenPlain], ['uuid_getvar', uuidThenPlain], ['uuid_send_dtmf', uuidThenPlain], ['uuid_recv_dtmf', uuidThenPlain],
  ['uuid_flush_dtmf', uuidOnly], ['uuid_phone_event', uuidThenPlain], ['uuid_simplify', uuidOnly], ['uuid_media', uuidThenPlain],
  ['uuid_audio', uuidThenPlain], ['uuid_buglist', uuidOnly],
  ['uuid_deflect', (policy, w, args, scope, where) => {
    if (!scope.outbound) throw new PolicyRefusal(`${where}: sends the call elsewhere`);
    uuidThenPlain(policy, w, args, scope, where);
  }],
  ['uuid_displace', (policy, w, _args, _scope, where) => {
    uuidAt(w, 0, where);
    oneOf(w[1], ['start', 'stop'], where);
    if (w[2] !== undefined) policy.media(w[2], where);
    for (const word of w.slice(3)) policy.value(word, where);
  }],
  ['uuid_record', (policy, w, _args, _scope, where) => {
    uuidAt(w, 0, where);
    oneOf(w[1], ['start', 'stop', 'mask', 'unmask'], where);
    if (w[2] === undefined) throw new PolicyRefusal(`${where}: expected a file path`);
    if (!(w[1] === 'stop' && w[2] === 'all')) policy.recordPath(w[2], where);
    for (const word of w.slice(3)) if (!/^\d{1,9}$/.test(word)) throw new PolicyRefusal(`${where}: '${word.slice(0, 20)}' is not a number`);
  }],
  ['uuid_setvar', (policy, w, _args, scope, where) => {
    uuidAt(w, 0, where);
    const name = w[1] ?? '';
    const v = policy.parse(where, () => parseAssignment(`${name}=${w.slice(2).join(' ')}`));
    policy.variable(v, scope, `${where} '${v.name}'`);
  }],
  ['uuid_setvar_multi', (policy, w, _args, scope, where) => {
    uuidAt(w, 0, where);
    for (const item of w.slice(1).join(' ').split(';')) {
      const v = policy.parse(where, () => parseAssignment(item.trim()));
      policy.variable(v, scope, `${where} '${v.name}'`);
    }
  }],
  ['conference', (policy, w, args, scope, where) => {
    const [first = '', second] = w;
    if (['list', 'json_list', 'xml_list', 'count'].includes(first.toLowerCase())) return plain(policy, w.slice(1), args, scope, where);
    policy.value(first, where);
    oneOf(second, CONFERENCE, where);
    const rest = w.slice(2);
    const sub = (second ?? '').toLowerCase();
    if (['mute', 'unmute', 'tmute', 'deaf', 'undeaf', 'kick', 'hup'].includes(sub)) {
      if (!MEMBER.test(rest[0] ?? '') || rest.length > 1) throw new PolicyRefusal(`${where}: expected a member id, all, last or non_moderator`);
    } else if (sub === 'play') {
      policy.media(rest[0] ?? '', where);
      if (rest[1] !== undefined && !/^(?:\d{1,9}|async)$/.test(rest[1])) throw new PolicyRefusal(`${where}: expected a member id or async`);
    } else if (sub === 'record') {
      policy.recordPath(rest[0] ?? '', where);
    } else if (sub === 'dial' || sub === 'bgdial') {
      policy.dialString(rest[0] ?? '', scope, where);
      plain(policy, rest.slice(1), args, scope, where);
    } else {
      plain(policy, rest, args, scope, where);
    }
  }],
  // nacd commands freecti runs itself (nacd-commands.ts, src/nacd/commands.ts): parsed by
  // their one parser; those that reach a call are checked as the command they become.
  // nacd_transfer's uuid_transfer to freecti's outbound socket is checked by policy.socketTransfer;
  // nway_threeway's target as a dial string here (nout/ legs included: freecti replaces them),
  // and the originate freecti builds of it by policy.threeWayOriginate.
  ...['nacd_version', 'nacd_max', 'nacd', 'nway_uuid_hold', 'nway_uuid_unhold', 'nway_uuid_transfer', 'nacd_transfer', 'nway_threeway'].map((name): [string, Check] => [
    name,
    (policy, _w, args, scope, where) => {
      const parsed = policy.parse(where, () => parseNacdCommand(name, args));
      if (parsed.name === 'nway_threeway') policy.dialString(parsed.target, { ...scope, nout: true }, `${where} dial string`);
      if (parsed.name === 'nway_uuid_hold' || parsed.name === 'nway_uuid_transfer') {
        const fs = nacdFsCommand(parsed);
        const check = COMMANDS.get(fs.command) as Check;
        check(policy, policy.parse(where, () => splitWords(fs.args)).map((x) => cleanWord(x.text)), fs.args, scope, `${where} (${fs.command})`);
      }
    },
  ]),
  ['fifo', (policy, w, args, scope, where) => {
    oneOf(w[0], ['list', 'list_verbose', 'count', 'has_outbound'], where);
    plain(policy, w.slice(1), args, scope, where);
  }],
]);

export function checkCommand(policy: FsPolicy, command: string, args: string, scope: Scope): CheckedCommand {
  const exactUsed: string[] = [];
  const inner: Scope = { ...scope, exactUsed };
  const line = policy.parse('command', () => parseCommandLine(command, args));
  for (const wrapper of line.wrappers) {
    if (wrapper === 'bgapi') continue;
    if (scope.exact?.(wrapper) !== true) throw new PolicyRefusal(`'${wrapper}' runs another command (only a key that names '${wrapper}' exactly may use it)`);
    exactUsed.push(wrapper);
  }
  const where = line.command;
  const check = COMMANDS.get(line.command);
  if (check !== undefined) {
    if (scope.command?.(line.command) !== true) throw new PolicyRefusal(`'${line.command}' is not allowed for this key`);
    // Api commands split their arguments with switch_separate_string: each word cleaned.
    const w = policy.parse(where, () => splitWords(line.args)).map((x) => cleanWord(x.text));
    check(policy, w, line.args, inner, where);
  } else {
    if (scope.exact?.(line.command) !== true) throw new PolicyRefusal(`'${line.command}' is not in the command allow-list`);
    exactUsed.push(line.command);
    policy.text(line.args, where);
  }
  scope.exactUsed?.push(...exactUsed);
  return { ...line, exactUsed };
}
