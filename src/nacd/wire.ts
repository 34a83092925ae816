/**
 * mod_nacd's HTTP callflow wire format (seed 004), field for field as the seed's Go
 * server (`EventRequest`, `HTTPResponse`) reads and writes it (docs/nacd.md):
 *
 * - the request (callflow POST and event push) always carries all twelve fields, strings
 *   except `additional_data` (an object);
 * - the reply is read as Go's encoding/json reads it into HTTPResponse: every field is
 *   optional (Go zero values), unknown fields are ignored, `action_data` values are
 *   strings (a JSON number is accepted and turned into its text), `dtmf_len` a number
 *   (a string of digits is accepted).
 */
import { z } from 'zod';

export interface NacdRequest {
  sip_network_ip: string;
  sip_network_port: string;
  timestamp: string;
  event: string;
  direction: string;
  caller_number: string;
  call_uuid: string;
  callee_number: string;
  group_number: string;
  middle_number: string;
  dtmf: string;
  additional_data: Record<string, unknown>;
}

/** Actions of the seed (bridge, dtmf, playback, hangup) and freecti's additions (queue, transfer). */
export const NACD_ACTIONS = ['bridge', 'dtmf', 'playback', 'hangup', 'queue', 'transfer'] as const;
export type NacdAction = (typeof NACD_ACTIONS)[number];

const text = z.union([z.string(), z.number().finite(), z.boolean()]).transform(String);
const str = z.string().max(4096).default('');

export const nacdReplySchema = z.object({
  uuid: str,
  caller: str,
  callee: str,
  action: z.enum(NACD_ACTIONS, { error: (issue) => `action must be one of ${NACD_ACTIONS.join(', ')}, got ${JSON.stringify(issue.input)?.slice(0, 40) ?? 'nothing'}` }),
  action_data: z.record(z.string(), text).nullable().default({}).transform((v) => v ?? {}),
  after_bridge: str,
  after_bridge_data: str,
  dtmf_len: z.union([z.number().int(), z.string().regex(/^\d{1,2}$/).transform(Number)]).pipe(z.number().int().min(0).max(32)).default(0),
  dtmf_audio: str,
  dtmf_bad_audio: str,
  use_survey: z.boolean().default(false),
  bridge_fail_ring: str,
  wait_for_answer_ring: str,
  transfer_ring: str,
  survey_ring: z.array(z.string().max(4096)).max(8).nullable().default([]).transform((v) => v ?? []),
  associate_data: z.record(z.string(), z.unknown()).nullable().default(null),
});

export type NacdReply = z.infer<typeof nacdReplySchema>;

/** The reply, or why it is not one (the first problem, with its field). */
export function parseNacdReply(data: unknown): { ok: true; reply: NacdReply } | { ok: false; reason: string } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, reason: 'the reply is not a JSON object' };
  const result = nacdReplySchema.safeParse(data);
  if (result.success) return { ok: true, reply: result.data };
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'reply' : issue.path.join('.');
  return { ok: false, reason: `${where}: ${issue?.message ?? 'invalid'}` };
}

/** `action_data[name]`, trimmed; '' when absent. */
export function actionData(reply: NacdReply, name: string): string {
  return (reply.action_data[name] ?? '').trim();
}
