/**
 * The application's answer to `action=request` (seed 002):
 *
 *   {"variables": {"origination_caller_id_number": "123", ...},
 *    "dial": {"type": "gateway", "number": "123456", "gateway": "gw"}}
 *
 * `dial.type`: gateway | user | ip | dialstring | hangup (seed), plus linegroup
 * (freecti: `group` + `number`, the same as dialstring `linegroup/<group>/<number>`).
 * Numbers may come as JSON numbers or strings. Unknown fields are ignored (the seed's
 * examples carry extra ones, e.g. `number` next to `user`).
 */
import { z } from 'zod';
import { FreectiError } from '../errors.js';

const text = z.union([z.string(), z.number().finite()]).transform(String);
/** A SIP response code, 300-699, as a JSON number or a string of digits (`"486"`, as the seed's apps send it). */
const sipCode = z.union([z.number(), z.string().regex(/^\s*\d{3}\s*$/, 'must be a SIP code (300-699)').transform(Number)]).pipe(z.number().int().min(300).max(699));
const scalar = z.union([z.string(), z.number().finite(), z.boolean()]).transform(String);

const dialSchema = z.discriminatedUnion('type', [
  // No gateway (or ''): the calling extension's DID-out route (docs/bridge.md, dial-target.ts).
  z.object({ type: z.literal('gateway'), gateway: text.optional(), number: text }),
  z.object({ type: z.literal('user'), user: text.optional(), number: text.optional(), domain: text.optional() }),
  z.object({ type: z.literal('ip'), number: text, ip: text, sofia: text.optional(), port: text.optional() }),
  z.object({ type: z.literal('dialstring'), dialstring: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('linegroup'), group: text, number: text }),
  z.object({ type: z.literal('hangup'), cause: text.optional(), sipcode: sipCode.optional() }),
]);

export const bridgeReplySchema = z.object({
  variables: z.record(z.string(), scalar).optional(),
  dial: dialSchema,
});

export type BridgeReply = z.infer<typeof bridgeReplySchema>;
export type DialSpec = BridgeReply['dial'];

/** Validates a parsed JSON reply; BRIDGE_BAD_REPLY names the first problem. */
export function parseBridgeReply(data: unknown): BridgeReply {
  const result = bridgeReplySchema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'reply' : issue.path.join('.');
  const type = (data as { dial?: { type?: unknown } } | null)?.dial?.type;
  const message =
    issue?.code === 'invalid_union' && where === 'dial.type' && typeof type === 'string'
      ? `dial.type '${type.slice(0, 40)}' is not one of gateway, user, ip, dialstring, linegroup, hangup`
      : `${where}: ${issue?.message ?? 'invalid'}`;
  throw new FreectiError('BRIDGE_BAD_REPLY', message, { details: { field: where } });
}
