/**
 * The api commands the fake answers without any scripting. Texts are the recorded
 * FreeSWITCH 1.11 outputs (../fixtures/freeswitch/esl-inbound, esl-control), terminators
 * included: most end in `\n`, `show channels as json` with rows and `uuid_getvar` do not.
 */
import type { FakeChannel } from './channels.js';
import { showCallsRow, showChannelsRow } from './channels.js';
import { controlApis, emptyRegistrations } from './api-control.js';

export interface ApiContext {
  readonly channels: ReadonlyMap<string, FakeChannel>;
  readonly hostname: string;
  /** ms since epoch when the fake started (for `status`). */
  readonly startedAt: number;
  /** Id of the connection that sent the command. */
  readonly connection: number;
  /** Hangs a channel up (events + removal). */
  hangup(uuid: string, cause: string): void;
}

export type ApiHandler = (args: string, ctx: ApiContext) => string | Promise<string>;
export type ApiReply = string | ApiHandler;

const NO_CHANNEL = '-ERR No such channel!\n';
const ORIGINATE_USAGE =
  '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n';
const SHOW_USAGE =
  '-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n';
const RULE = '='.repeat(97);
const SOFIA_STATUS = [
  '                     Name\t   Type\t                                      Data\tState',
  RULE,
  '                127.0.0.1\t  alias\t                                  internal\tALIASED',
  '                 external\tprofile\t              sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)',
  '    external::example.com\tgateway\t                   sip:joeuser@example.com\tNOREG',
  '                 internal\tprofile\t              sip:mod_sofia@127.0.0.1:5060\tRUNNING (0)',
  RULE,
  '2 profiles 1 alias',
  '',
].join('\n');

function status(ctx: ApiContext): string {
  const us = Math.max(0, Date.now() - ctx.startedAt) * 1000;
  const part = (unit: number, mod: number): number => Math.floor(us / unit) % mod;
  const days = Math.floor(us / 86_400_000_000);
  const up = `UP ${Math.floor(days / 365)} years, ${days % 365} days, ${part(3_600_000_000, 24)} hours, ${part(60_000_000, 60)} minutes, ${part(1_000_000, 60)} seconds, ${part(1000, 1000)} milliseconds, ${us % 1000} microseconds`;
  const sessions = ctx.channels.size;
  return [
    up,
    'FreeSWITCH (Version 1.11.3-dev  64bit) is ready',
    `${sessions} session(s) since startup`,
    `${sessions} session(s) - peak ${sessions}, last 5min ${sessions} `,
    '0 session(s) per Sec out of max 30, peak 0, last 5min 0 ',
    '1000 session(s) max',
    'min idle cpu 0.00/100.00',
    'Current Stack Size/Max 240K/8192K',
    '',
  ].join('\n');
}

/** The default `show` (channels and calls from the declared channels, else the recorded usage). */
export function show(args: string, ctx: ApiContext): string {
  const words = args.trim().split(/\s+/);
  if ((words[0] === 'channels' || words[0] === 'calls') && words[1] === 'as' && words[2] === 'json') {
    if (ctx.channels.size === 0) return '{"row_count": 0}\n';
    const toRow = words[0] === 'calls' ? showCallsRow : showChannelsRow;
    const rows = [...ctx.channels.values()].map((c) => toRow(c, ctx.hostname));
    return JSON.stringify({ row_count: rows.length, rows });
  }
  return SHOW_USAGE;
}

function sofia(args: string): string {
  const words = args.trim().split(/\s+/);
  if (words.length === 1 && words[0] === 'status') return SOFIA_STATUS;
  if (words[0] === 'status' && words[1] === 'profile' && words[2] !== 'internal' && words[2] !== 'external') return 'Invalid Profile!\n';
  if (words[0] === 'status' && words[1] === 'profile' && words[3] === 'reg') return emptyRegistrations();
  return '-ERR Usage: sofia status|xmlstatus|profile <name> ...\n';
}

function originate(args: string): string {
  const url = args.trim().split(/\s+/)[0] ?? '';
  if (url === '' || args.trim().split(/\s+/).length < 2) return ORIGINATE_USAGE;
  return /^(\{[^}]*\})?user\//.test(url) ? '-ERR USER_NOT_REGISTERED\n' : '-ERR CHAN_NOT_IMPLEMENTED\n';
}

function uuidKill(args: string, ctx: ApiContext): string {
  const [uuid, cause] = args.trim().split(/\s+/);
  if (uuid === undefined || uuid === '') return '-USAGE: <uuid> [cause]\n';
  if (!ctx.channels.has(uuid)) return NO_CHANNEL;
  ctx.hangup(uuid, cause ?? 'NORMAL_CLEARING');
  return '+OK\n';
}

function uuidGetvar(args: string, ctx: ApiContext): string {
  const [uuid, name] = args.trim().split(/\s+/);
  const channel = uuid === undefined ? undefined : ctx.channels.get(uuid);
  if (channel === undefined) return NO_CHANNEL;
  // FreeSWITCH falls back to the caller profile's fields (esl-control observation 22).
  const profile: Record<string, string> = { caller_id_number: channel.callerIdNumber, destination_number: channel.destinationNumber, chan_name: channel.name };
  return channel.variables.get(name ?? '') ?? profile[name ?? ''] ?? '_undef_';
}

function uuidSetvar(args: string, ctx: ApiContext): string {
  const [uuid, name, ...value] = args.trim().split(/\s+/);
  const channel = uuid === undefined ? undefined : ctx.channels.get(uuid);
  if (channel === undefined || name === undefined) return NO_CHANNEL;
  if (value.length === 0) channel.variables.delete(name);
  else channel.variables.set(name, value.join(' '));
  return '+OK\n';
}

export function defaultApis(): Map<string, ApiReply> {
  return new Map<string, ApiReply>([
    ['status', (_args, ctx) => status(ctx)],
    ['show', show],
    ['sofia', sofia],
    ['originate', originate],
    ['uuid_kill', uuidKill],
    ['uuid_exists', (args, ctx) => (ctx.channels.has(args.trim()) ? 'true' : 'false')],
    ['uuid_getvar', uuidGetvar],
    ['uuid_setvar', uuidSetvar],
    ['reloadxml', '+OK [Success]\n'],
    ['global_getvar', ''],
    ...controlApis(),
  ]);
}
