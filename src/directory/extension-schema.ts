/**
 * The value of one field of `cti_exten@<domain>` (seed 001):
 *
 *     {"param": {"password": "123", "auth-acl": "192.168.0.0/24", ...},
 *      "variable": {"sip-force-contact": "NDLB-connectile-dysfunction-2.0"},
 *      "attribute": {"cacheable": "10000", "number-alias": "myphone"}}
 *
 * Values may be strings, numbers or booleans (FreeSWITCH sees strings). The same
 * schema validates the admin API's PUT body, so both paths accept exactly one shape.
 */
import { z } from 'zod';
import { isExtension } from './extension-check.js';

const scalar = z.union([z.string().max(4096), z.number().finite(), z.boolean()]);
/** Param/variable names FreeSWITCH can carry: no spaces, quotes or markup. */
const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const flag = z.union([z.boolean(), z.enum(['true', 'false', 'yes', 'no', 'on', 'off', '1', '0'])]);

/** A record of scalars whose names FreeSWITCH can carry. */
function namedRecord() {
  return z.record(z.string(), scalar).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      if (!NAME.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'names are letters, digits, _ . : - (1-128 chars)' });
    }
  });
}

export const extensionParamsSchema = namedRecord().pipe(
  z.object({
    password: z.union([z.string().max(256), z.number().finite()]).optional(),
    'a1-hash': z.string().regex(/^[0-9a-fA-F]{32}$/, 'a1-hash is md5(username:realm:password), 32 hex digits').optional(),
    'auth-acl': z.string().max(4096).optional(),
    'allow-empty-password': flag.optional(),
    'sip-forbid-register': flag.optional(),
    'user-agent-filter': z.string().max(512).optional(),
    'max-registrations-per-extension': z.union([z.number().int().min(0), z.string().regex(/^\d{1,6}$/)]).optional(),
  }).catchall(scalar),
);

export const extensionSchema = z.strictObject({
  param: extensionParamsSchema.optional(),
  variable: namedRecord().optional(),
  attribute: z
    .strictObject({
      /** ms FreeSWITCH may cache the user; `true` = forever. */
      cacheable: z.union([z.boolean(), z.number().int().min(0), z.string().regex(/^(\d{1,10}|true|false)$/)]).optional(),
      'number-alias': z.string().regex(/^[A-Za-z0-9_.+*#-]{1,64}$/, 'number-alias: letters, digits, _ . + * # - (1-64)').optional(),
    })
    .optional(),
});

export type Extension = z.infer<typeof extensionSchema>;
export type ExtensionParams = z.infer<typeof extensionParamsSchema>;

/** Extension and domain names we look up or store (anything else is "not found" / 400). */
export const EXTENSION_NAME = /^[A-Za-z0-9_.+*#-]{1,64}$/;
export const DOMAIN_NAME = /^[A-Za-z0-9_.:[\]-]{1,253}$/;

export type ParsedExtension = { ok: true; extension: Extension } | { ok: false; reason: string };

/** Parses a Redis value: never throws. */
export function parseExtension(raw: string): ParsedExtension {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'value is not valid JSON' };
  }
  if (isExtension(json)) return { ok: true, extension: json as Extension };
  const result = extensionSchema.safeParse(json);
  if (result.success) return { ok: true, extension: result.data };
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.map(String).join('.')}: `;
  return { ok: false, reason: `${where}${issue?.message ?? 'wrong shape'}` };
}

/** FreeSWITCH's switch_true() for the flags we read. */
export function isTrue(value: string | number | boolean | undefined): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  return ['true', 'yes', 'on', '1', 'enabled', 'active', 'allow'].includes(String(value).toLowerCase());
}
