/**
 * Call-control api commands of the fake, with the texts recorded from FreeSWITCH 1.11
 * (../fixtures/freeswitch/esl-control/api-call-control-error-replies and
 * park-uuid-bridge-broadcast-hold-transfer-kill): usage and error replies for unknown
 * uuids exactly as recorded, and on declared channels the recorded successes plus the
 * state they change (`uuid_bridge` sets `bridge_uuid` / `signal_bond` on both legs;
 * `uuid_transfer` of a bridged leg hangs the other leg up, as recorded; `uuid_record`
 * remembers what it records). Conferences and callcenter agents are not modelled: the fake
 * has none, and answers like FreeSWITCH with none (script others with `onApi`).
 */
import type { ApiContext, ApiReply } from './api-defaults.js';

const NO_CHANNEL = '-ERR No such channel!\n';
const NO_SESSION = '-ERR Cannot locate session!\n';
const RULE = '='.repeat(97);

function words(args: string): string[] {
  const trimmed = args.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

function uuidBridge(args: string, ctx: ApiContext): string {
  const [a, b] = words(args);
  if (a === undefined || b === undefined) return '-USAGE: <uuid> <other_uuid>\n';
  const left = ctx.channels.get(a);
  const right = ctx.channels.get(b);
  if (left === undefined || right === undefined || a === b) return '-ERR Invalid uuid\n';
  for (const [one, other] of [[left, b], [right, a]] as const) {
    one.variables.set('bridge_uuid', other);
    one.variables.set('signal_bond', other);
  }
  return `+OK ${b}\n`;
}

function uuidTransfer(args: string, ctx: ApiContext): string {
  const [uuid, destination] = words(args);
  const channel = uuid === undefined ? undefined : ctx.channels.get(uuid);
  if (channel === undefined) return NO_CHANNEL;
  if (destination === undefined) return '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n';
  const other = channel.variables.get('bridge_uuid');
  channel.variables.delete('bridge_uuid');
  // The other leg is not parked after the bridge: it hangs up (recorded).
  if (other !== undefined && ctx.channels.has(other)) ctx.hangup(other, 'NORMAL_CLEARING');
  return '+OK\n';
}

function uuidRecord(args: string, ctx: ApiContext): string {
  const [uuid, action, path] = words(args);
  const channel = uuid === undefined ? undefined : ctx.channels.get(uuid);
  if (channel === undefined) return NO_SESSION;
  const recording = new Set((channel.variables.get('fake_recordings') ?? '').split('\n').filter((p) => p !== ''));
  if (action === 'start' && path !== undefined) recording.add(path);
  else if (action === 'stop' && path !== undefined && recording.has(path)) recording.delete(path);
  else return '-ERR Cannot stop record session!\n';
  channel.variables.set('fake_recordings', [...recording].join('\n'));
  return '+OK Success\n';
}

function uuidAudio(args: string, ctx: ApiContext): string {
  const [uuid, action, , mode, level] = words(args);
  if (uuid === undefined || !ctx.channels.has(uuid)) return NO_CHANNEL;
  if (action === 'stop' || (action === 'start' && (mode === 'mute' || mode === 'level') && level !== undefined)) return '+OK\n';
  return '-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n';
}

function uuidDtmf(received: boolean) {
  return (args: string, ctx: ApiContext): string => {
    const [uuid, digits] = words(args);
    if (uuid === undefined || !ctx.channels.has(uuid)) return NO_SESSION;
    return received ? `+OK ${uuid} received DTMF ${digits ?? ''}.\n` : '+OK Success\n';
  };
}

function conference(args: string): string {
  const [name, command] = words(args);
  if (name === 'list' && command === undefined) return '+OK No active conferences.\n';
  if (name === 'json_list' && command === undefined) return '[]';
  return `-ERR Conference ${name ?? ''} not found\n`;
}

function callcenterConfig(args: string): string {
  const w = words(args);
  if (w[0] === 'agent' && w[1] === 'set' && w.length >= 5) return '-ERR Agent not found!\n';
  if (w[0] === 'queue' && w[1] === 'list' && w[2] === 'members') return '+OK\n';
  throw new Error(`fake FreeSWITCH: callcenter_config ${w.slice(0, 2).join(' ')} is not modelled (script it with onApi)`);
}

/** `sofia status profile <internal|external> reg [user]` on a box with no registrations (recorded). */
export function emptyRegistrations(): string {
  return `\nRegistrations:\n${RULE}\nTotal items returned: 0\n${RULE}\n`;
}

export function controlApis(): [string, ApiReply][] {
  return [
    ['uuid_bridge', uuidBridge],
    ['uuid_broadcast', (args, ctx) => {
      const [uuid, path] = words(args);
      if (uuid === undefined || path === undefined) return '-USAGE: <uuid> <path> [aleg|bleg|both]\n';
      return ctx.channels.has(uuid) ? '+OK Message sent\n' : '-ERR invalid uuid\n';
    }],
    ['uuid_hold', (args) => (words(args).length === 0 ? '-USAGE: [off|toggle] <uuid> [<display>]\n-ERR Operation failed\n' : '+OK Success\n')],
    ['uuid_transfer', uuidTransfer],
    ['uuid_record', uuidRecord],
    ['uuid_audio', uuidAudio],
    ['uuid_recv_dtmf', uuidDtmf(true)],
    ['uuid_send_dtmf', uuidDtmf(false)],
    ['uuid_park', (args, ctx) => (ctx.channels.has(words(args)[0] ?? '') ? '+OK\n' : NO_CHANNEL)],
    ['conference', conference],
    ['callcenter_config', callcenterConfig],
  ];
}
