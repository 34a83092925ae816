/**
 * The nacd api commands freecti implements itself (mod_nacd's names, issue 11 item 6;
 * docs/nacd.md "Commands"): the one parser of their arguments. Pure: a malformed line
 * throws FsSyntaxError. commands.ts checks each parse with the policy; src/nacd/commands.ts
 * runs it (translating into FreeSWITCH commands that the policy checks again).
 *
 * ```
 * nacd_version
 * nacd_max                                   every line's limits
 * nacd_max <group>/<line>                    one line's limits
 * nacd_max <group>/<line> cps|concurrency <n>|none
 * nacd agent list | agent status <id> | agent login|logout|break <id> [<reason>]
 * nacd queue list | queue status <name>
 * nway_uuid_hold [off|toggle] <uuid>
 * nway_uuid_unhold <uuid>
 * nway_uuid_transfer <uuid> [-bleg|-both] <destination> [<dialplan> [<context>]]
 * nacd_transfer <uuid> <group>
 * nway_threeway <uuid> <dial string>         freecti's syntax (the seed gives none)
 * ```
 */
import { LINEGROUP_NAME } from './dial-string.js';
import { UUID } from './applications.js';
import { cleanWord, FsSyntaxError, splitWords } from './scan.js';
import { HANDOFF_GROUP } from './handoff.js';

/** Agent ids and queue names, as the ACD spells them (src/acd/config.ts ACD_ID). */
const ACD_ID = /^[A-Za-z0-9_.@+-]{1,64}$/;
const LINE_ID = /^[\p{L}\p{M}\p{N}_.-]{1,64}$/u;
const REASON = /^[A-Za-z0-9_.-]{1,64}$/;

export type NacdLimit = 'cps' | 'concurrency';

/** The largest value nacd_max sets for each limit. */
export const NACD_LIMIT_MAX: Readonly<Record<NacdLimit, number>> = { cps: 100_000, concurrency: 1_000_000 };

export type NacdCommand =
  | { name: 'nacd_version' }
  | { name: 'nacd_max'; line?: { group: string; line: string }; set?: { limit: NacdLimit; value: number | null } }
  | { name: 'nacd'; what: 'agent-list' | 'queue-list' }
  | { name: 'nacd'; what: 'agent-status' | 'agent-login' | 'agent-logout'; id: string }
  | { name: 'nacd'; what: 'agent-break'; id: string; reason: string }
  | { name: 'nacd'; what: 'queue-status'; id: string }
  | { name: 'nway_uuid_hold'; uuid: string; mode: 'on' | 'off' | 'toggle' }
  | { name: 'nway_uuid_transfer'; uuid: string; leg: '' | '-bleg' | '-both'; destination: string }
  | { name: 'nacd_transfer'; uuid: string; group: string }
  /** A third party `target` (one dial string, cleaned) joins the live call `uuid` (three_way). */
  | { name: 'nway_threeway'; uuid: string; target: string };

/** The command names this parser reads (nway_uuid_unhold parses as nway_uuid_hold off). */
export const NACD_COMMAND_NAMES: readonly string[] = ['nacd_version', 'nacd_max', 'nacd', 'nway_uuid_hold', 'nway_uuid_unhold', 'nway_uuid_transfer', 'nacd_transfer', 'nway_threeway'];

function fail(command: string, message: string): never {
  throw new FsSyntaxError(`${command}: ${message}`);
}

function uuid(command: string, word: string | undefined): string {
  if (word === undefined || !UUID.test(word)) fail(command, `expected a channel uuid, got '${(word ?? '').slice(0, 40)}'`);
  return word;
}

function acdId(command: string, word: string | undefined, what: string): string {
  if (word === undefined || !ACD_ID.test(word)) fail(command, `expected ${what} (letters, digits, _ . @ + -), got '${(word ?? '').slice(0, 40)}'`);
  return word;
}

function noMore(command: string, words: readonly string[], from: number): void {
  if (words.length > from) fail(command, `unexpected '${(words[from] ?? '').slice(0, 40)}'`);
}

/** Parses one nacd command's arguments (`command` lower case, as the table names it). */
export function parseNacdCommand(command: string, args: string): NacdCommand {
  const parts = splitWords(args);
  const w = parts.map((p) => cleanWord(p.text));
  switch (command) {
    case 'nacd_version':
      noMore(command, w, 0);
      return { name: 'nacd_version' };
    case 'nacd_max': {
      if (w.length === 0) return { name: 'nacd_max' };
      const target = /^([^/]+)\/([^/]+)$/.exec(w[0] ?? '');
      if (target === null || !LINEGROUP_NAME.test(target[1] ?? '') || !LINE_ID.test(target[2] ?? '')) fail(command, `expected <group>/<line>, got '${(w[0] ?? '').slice(0, 60)}'`);
      const line = { group: target[1] as string, line: target[2] as string };
      if (w.length === 1) return { name: 'nacd_max', line };
      const limit = w[1];
      if (limit !== 'cps' && limit !== 'concurrency') fail(command, `expected cps or concurrency, got '${(limit ?? '').slice(0, 40)}'`);
      const raw = w[2];
      if (raw === undefined) fail(command, `expected a number or none after ${limit}`);
      const max = NACD_LIMIT_MAX[limit];
      if (raw !== 'none' && (!/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > max)) fail(command, `${limit} must be 1..${max} or none, got '${raw.slice(0, 20)}'`);
      noMore(command, w, 3);
      return { name: 'nacd_max', line, set: { limit, value: raw === 'none' ? null : Number(raw) } };
    }
    case 'nacd': {
      const [kind, verb] = w;
      if (kind === 'agent') {
        if (verb === 'list') return noMore(command, w, 2), { name: 'nacd', what: 'agent-list' };
        if (verb === 'status' || verb === 'login' || verb === 'logout') {
          const id = acdId(command, w[2], 'an agent id');
          noMore(command, w, 3);
          return { name: 'nacd', what: `agent-${verb}`, id };
        }
        if (verb === 'break') {
          const id = acdId(command, w[2], 'an agent id');
          const reason = w[3] ?? '';
          if (reason !== '' && !REASON.test(reason)) fail(command, `a break reason is letters, digits, _ . - (got '${reason.slice(0, 40)}')`);
          noMore(command, w, 4);
          return { name: 'nacd', what: 'agent-break', id, reason };
        }
        fail(command, `expected agent list|status|login|logout|break, got 'agent ${(verb ?? '').slice(0, 20)}'`);
      }
      if (kind === 'queue') {
        if (verb === 'list') return noMore(command, w, 2), { name: 'nacd', what: 'queue-list' };
        if (verb === 'status') {
          const id = acdId(command, w[2], 'a queue name');
          noMore(command, w, 3);
          return { name: 'nacd', what: 'queue-status', id };
        }
        fail(command, `expected queue list|status, got 'queue ${(verb ?? '').slice(0, 20)}'`);
      }
      return fail(command, `expected agent ... or queue ..., got '${(kind ?? '').slice(0, 20)}'`);
    }
    case 'nway_uuid_hold': {
      const mode = w[0] === 'off' || w[0] === 'toggle' ? w[0] : 'on';
      const at = mode === 'on' ? 0 : 1;
      const id = uuid(command, w[at]);
      noMore(command, w, at + 1);
      return { name: 'nway_uuid_hold', uuid: id, mode };
    }
    case 'nway_uuid_unhold': {
      const id = uuid(command, w[0]);
      noMore(command, w, 1);
      return { name: 'nway_uuid_hold', uuid: id, mode: 'off' };
    }
    case 'nway_uuid_transfer': {
      const id = uuid(command, w[0]);
      const leg = w[1] === '-bleg' || w[1] === '-both' ? w[1] : '';
      // The destination as written (quotes kept): FreeSWITCH splits it again.
      const rest = parts.slice(leg === '' ? 1 : 2).map((p) => p.text);
      if (rest.length === 0 || rest.length > 3) fail(command, 'expected <uuid> [-bleg|-both] <destination> [<dialplan> [<context>]]');
      return { name: 'nway_uuid_transfer', uuid: id, leg, destination: rest.join(' ') };
    }
    case 'nacd_transfer': {
      const id = uuid(command, w[0]);
      const group = w[1];
      if (group === undefined || !HANDOFF_GROUP.test(group)) fail(command, `expected <uuid> <group> (a group number: letters, digits, _ . + -), got '${(group ?? '').slice(0, 40)}'`);
      noMore(command, w, 2);
      return { name: 'nacd_transfer', uuid: id, group };
    }
    case 'nway_threeway': {
      const id = uuid(command, w[0]);
      // One dial string: originate reads its call URL as one word (a variable's value may be quoted).
      const target = w[1];
      if (target === undefined || target === '') fail(command, 'expected <uuid> <dial string>');
      if (/\s/.test(target)) fail(command, 'the dial string is one word (no spaces)');
      noMore(command, w, 2);
      return { name: 'nway_threeway', uuid: id, target };
    }
    default:
      return fail(command, 'not an nacd command');
  }
}

/** The FreeSWITCH command a call-control nacd command becomes (checked by the policy before it is sent). */
export function nacdFsCommand(parsed: Extract<NacdCommand, { name: 'nway_uuid_hold' | 'nway_uuid_transfer' }>): { command: string; args: string } {
  if (parsed.name === 'nway_uuid_hold') return { command: 'uuid_hold', args: parsed.mode === 'on' ? parsed.uuid : `${parsed.mode} ${parsed.uuid}` };
  return { command: 'uuid_transfer', args: [parsed.uuid, parsed.leg, parsed.destination].filter((x) => x !== '').join(' ') };
}
