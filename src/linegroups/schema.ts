/**
 * The JSON shape of one line group, as stored in Redis (hash `{freecti}:linegroups`,
 * field = group name) and accepted by PUT /api/v1/linegroups/:group. docs/linegroups.md.
 */
import { z } from 'zod';
import { LINEGROUP_NAME } from '../fs-lang/dial-string.js';
import { parseExpansions } from '../fs-lang/expansion.js';

/** Group and line names (UTF-8 letters and digits, `_ . -`): parts of Redis keys, URL paths and channel variables. */
export const NAME = LINEGROUP_NAME;
const name = z.string().regex(NAME, 'letters and digits (any script), _ . - only (1-64 chars)');
/** A destination prefix: digits, optionally after a leading +. */
const prefix = z.string().regex(/^\+?[0-9]{1,20}$/, 'a prefix is 1-20 digits, optionally after +');
/** Calls per second for destinations starting with each prefix (longest match wins). */
const prefixCps = z.record(prefix, z.number().int().min(1).max(100_000)).default({});
/** Channel variable names and values set on the line's leg (`[k=v]`). */
const variables = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'variable names: letters, digits, _ . -'),
    z.string().max(1024).refine((v) => parseExpansions(v).every((piece) => piece.kind === 'text') && !/[\r\n]/.test(v), 'must not contain a ${...} expansion or line breaks'),
  )
  .default({});

export const lineSchema = z.strictObject({
  /** Unique in the group; appears in logs, metrics and the `freecti_line` variable. */
  id: name,
  /** The sofia gateway the line dials through: `sofia/gateway/<gateway>/<number>`. */
  gateway: z.string().regex(/^[A-Za-z0-9_.@-]{1,128}$/, 'gateway names: letters, digits, _ . @ -'),
  /** Lower first for the `priority` strategy (ties keep the list order). */
  priority: z.number().int().min(0).max(1_000_000).default(100),
  /** Concurrent calls on this line across all freecti instances; absent = no limit. */
  maxConcurrent: z.number().int().min(1).max(1_000_000).optional(),
  /** New calls per second on this line across all freecti instances; absent = no limit. */
  cps: z.number().int().min(1).max(100_000).optional(),
  prefixCps,
  /** Digits removed from the front of the number, then `addPrefix` put in front. */
  stripDigits: z.number().int().min(0).max(20).default(0),
  addPrefix: z.string().regex(/^\+?[0-9]{0,20}$/, 'digits, optionally after +').default(''),
  variables,
  /** A disabled line is never chosen. */
  enabled: z.boolean().default(true),
});

export const linegroupSchema = z.strictObject({
  strategy: z.enum(['priority', 'round-robin', 'least-busy', 'random']).default('priority'),
  lines: z
    .array(lineSchema)
    .min(1)
    .max(256)
    .refine((lines) => new Set(lines.map((l) => l.id)).size === lines.length, 'line ids must be unique'),
  /** Calls per second across the whole group for destinations starting with a prefix. */
  prefixCps,
  quarantine: z
    .strictObject({
      /** Line failures (network, congestion) in a row that take a line out of use. */
      failures: z.number().int().min(1).max(1000).default(3),
      /** How long a quarantined line stays out of use; then it is tried again. */
      periodMs: z.number().int().min(10).max(24 * 3600 * 1000).default(60_000),
    })
    .prefault({}),
  /** Lines tried for one call before giving up (failover on line failures). */
  maxAttempts: z.number().int().min(1).max(256).default(3),
  /**
   * A slot lives this long unless renewed: its holder renews it every leaseTtlMs / 3 while
   * the call lives, so a crashed instance's slots free themselves within this time.
   */
  leaseTtlMs: z.number().int().min(1000).max(7 * 24 * 3600 * 1000).default(30_000),
});

export type Line = z.infer<typeof lineSchema>;
export type Linegroup = z.infer<typeof linegroupSchema>;
export type LinegroupInput = z.input<typeof linegroupSchema>;
export type Strategy = Linegroup['strategy'];

/** Longest prefix of `table` that `number` starts with (a leading + is ignored on both sides). */
export function longestPrefix(table: Readonly<Record<string, number>>, number: string): { prefix: string; cps: number } | undefined {
  const digits = number.replace(/^\+/, '');
  let best: { prefix: string; cps: number } | undefined;
  for (const [p, cps] of Object.entries(table)) {
    const bare = p.replace(/^\+/, '');
    if (digits.startsWith(bare) && (best === undefined || bare.length > best.prefix.replace(/^\+/, '').length)) best = { prefix: p, cps };
  }
  return best;
}
