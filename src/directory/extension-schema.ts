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

/** `ignored`: paths of keys the schema does not know (`foo`, `attribute.foo`), left out of `extension`. */
export type ParsedExtension = { ok: true; extension: Extension; ignored: string[] } | { ok: false; reason: string };

const TOP_KEYS: ReadonlySet<string> = new Set(['param', 'variable', 'attribute']);
const ATTRIBUTE_KEYS: ReadonlySet<string> = new Set(['cacheable', 'number-alias']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value without the keys the schema does not know: top-level keys other than
 * param/variable/attribute, attribute keys other than cacheable/number-alias (param and
 * variable take any name FreeSWITCH can carry). Values written by other tools may hold
 * such keys; they are served without them.
 */
function withoutUnknownKeys(json: unknown): { value: unknown; ignored: string[] } {
  if (!isPlainObject(json)) return { value: json, ignored: [] };
  const ignored: string[] = [];
  const value: Record<string, unknown> = {};
  for (const [key, part] of Object.entries(json)) {
    if (!TOP_KEYS.has(key)) ignored.push(key);
    else if (key === 'attribute' && isPlainObject(part)) {
      const attribute: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(part)) {
        if (ATTRIBUTE_KEYS.has(name)) attribute[name] = v;
        else ignored.push(`attribute.${name}`);
      }
      value[key] = attribute;
    } else value[key] = part;
  }
  return { value, ignored };
}

/**
 * Parses a Redis value: never throws. Keys the schema does not know are left out and
 * named in `ignored` (the caller warns); a known key with a wrong value refuses.
 * The admin API validates its bodies with the strict `extensionSchema` instead.
 */
export function parseExtension(raw: string): ParsedExtension {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'value is not valid JSON' };
  }
  if (isExtension(json)) return { ok: true, extension: json as Extension, ignored: [] };
  const { value, ignored } = withoutUnknownKeys(json);
  if (ignored.length > 0 && isExtension(value)) return { ok: true, extension: value as Extension, ignored };
  const result = extensionSchema.safeParse(value);
  if (result.success) return { ok: true, extension: result.data, ignored };
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
