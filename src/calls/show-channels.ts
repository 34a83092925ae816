/**
 * Parses `api show channels as json` (esl-inbound/api-show-channels-json-*):
 * `{"row_count":1,"rows":[{"uuid","direction","created_epoch","name","cid_num","dest",
 * "presence_id","callstate","callee_num",...}]}` (no trailing newline) or
 * `{"row_count": 0}\n`. Anything else (an `-ERR` reply) throws.
 */
import { z } from 'zod';
import { parseShowJsonRows } from '../esl/show-json.js';

const rowSchema = z.looseObject({
  uuid: z.string().min(1),
  direction: z.string().default(''),
  created_epoch: z.string().default(''),
  cid_name: z.string().default(''),
  cid_num: z.string().default(''),
  dest: z.string().default(''),
  presence_id: z.string().default(''),
  callstate: z.string().default(''),
  callee_num: z.string().default(''),
});

export type ChannelRow = z.infer<typeof rowSchema>;

export function parseShowChannels(body: string): ChannelRow[] {
  return z.array(rowSchema).parse(parseShowJsonRows(body, 'show channels'));
}

/**
 * The extension of a listed channel: its `presence_id` (`1000@127.0.0.1`), which
 * FreeSWITCH sets to the user for both a phone's own leg and a `user/<ext>` leg.
 */
export function channelOwner(row: ChannelRow): { extension: string; domain: string } | undefined {
  const at = row.presence_id.lastIndexOf('@');
  if (at <= 0) return undefined;
  return { extension: row.presence_id.slice(0, at), domain: row.presence_id.slice(at + 1) };
}

/** The configured event fields that a listing row can fill (others are ''). */
export function rowFields(row: ChannelRow, names: readonly string[]): Record<string, string> {
  const known: Record<string, string> = {
    'Unique-ID': row.uuid,
    'Call-Direction': row.direction,
    'Caller-Caller-ID-Name': row.cid_name,
    'Caller-Caller-ID-Number': row.cid_num,
    'Caller-Destination-Number': row.dest,
    'Caller-Callee-ID-Number': row.callee_num,
    'Caller-Profile-Created-Time': /^\d+$/.test(row.created_epoch) ? `${row.created_epoch}000000` : '',
    'Channel-Call-State': row.callstate,
  };
  const out: Record<string, string> = {};
  for (const name of names) out[name] = known[name] ?? '';
  return out;
}
