/**
 * DID tables (docs/nacd.md "DID"), mod_nacd's nin_did / nout_did without SQL:
 * - in: a dialed number -> an extension (transfer), an ACD queue, or a nacd group;
 * - out: an extension or group -> the caller id shown outside and how the call leaves
 *   (a line group, with line selection and limits, or a gateway).
 */
import { z } from 'zod';
import { isPlainNumber } from '../dial-string/index.js';

const plain = z.string().refine((v) => isPlainNumber(v), 'a plain number (+, digits, letters, * # . _ -)');
const name = z.string().regex(/^[A-Za-z0-9_.@+-]{1,64}$/, 'letters, digits, _ . @ + - (1-64)');

export const didInSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('extension'), extension: plain, context: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional() }),
  z.strictObject({ type: z.literal('queue'), queue: name, priority: z.number().int().min(0).max(100).optional() }),
  z.strictObject({ type: z.literal('group'), group: z.string().regex(/^[A-Za-z0-9_.+-]{1,64}$/) }),
]);

export const didOutSchema = z
  .strictObject({
    /** The caller id shown outside (origination_caller_id_number). */
    callerId: plain,
    /** The line group the call leaves through (src/linegroups). */
    linegroup: name.optional(),
    /** Or a gateway (sofia/gateway/<gateway>/<number>). */
    gateway: name.optional(),
  })
  .refine((v) => (v.linegroup === undefined) !== (v.gateway === undefined), { message: 'name exactly one of linegroup or gateway', path: ['linegroup'] });

export type DidIn = z.infer<typeof didInSchema>;
export type DidOut = z.infer<typeof didOutSchema>;
