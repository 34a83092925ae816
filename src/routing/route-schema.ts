/**
 * One routing rule (docs/routing.md): calls hunted in `context` whose destination number
 * matches `destination` make freecti ask `url`; the JSON reply becomes the dialplan.
 * Used by the config (`routing.routes`), the REST API and the Redis store alike.
 */
import { z } from 'zod';
import { compileSafeRegex } from '../safe-regex.js';
import { isXmlSafe } from '../xml-curl/xml.js';
import { FsPolicy } from '../fs-lang/policy.js';
import { actionRefusal } from './reply.js';
import { checkUrlTemplate } from './template.js';

/** Fallback actions come from the operator: checked against the default allow-lists, outbound allowed (fs-config refuses public ones that dial out). */
const CONFIG_POLICY = new FsPolicy();

export const actionSchema = z
  .strictObject({
    application: z.string().min(1).max(64),
    data: z.string().max(4096).default(''),
  })
  .superRefine((action, ctx) => {
    const why = actionRefusal(CONFIG_POLICY, { outbound: true }, action.application, action.data);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
    if (!isXmlSafe(action.data) || /[\r\n\t]/.test(action.data)) ctx.addIssue({ code: 'custom', message: 'data holds control characters' });
  });

export type DialplanAction = z.infer<typeof actionSchema>;

export const DEFAULT_FALLBACK: readonly DialplanAction[] = [{ application: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' }];

const timeoutMs = z.number().int().min(50).max(30_000);

export const routeSchema = z.strictObject({
  /** Unique name: the REST path segment and the Redis hash field. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only (1-64 chars)'),
  /** The dialplan context (Hunt-Context) this route serves. */
  context: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only (1-64 chars)'),
  /**
   * Regular expression on the destination number (RE2 syntax, run on the linear-time
   * engine of src/safe-regex.ts: no back-references or lookaround); default: every number.
   */
  destination: z
    .string()
    .max(256)
    .default('^.*$')
    .superRefine((source, ctx) => {
      const compiled = compileSafeRegex(source, 256);
      if (!compiled.ok) ctx.addIssue({ code: 'custom', message: `not a valid regular expression for the linear-time engine (docs/regex.md): ${compiled.reason}` });
    }),
  /** Lower first; routes of one context are tried in this order, then by id. */
  priority: z.number().int().min(0).max(1_000_000).default(100),
  /** URL template: `${destination_number}`, `${caller_id_number}`, `${uuid}`, any field or `${var}` of a channel variable. */
  url: z.string().max(2048).superRefine((url, ctx) => {
    const why = checkUrlTemplate(url);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
  }),
  /**
   * `inline`: the reply becomes the dialplan (one request per call). `control`: the call
   * is handed to freecti's outbound socket, which runs each reply and asks again with the
   * outcome (digits...) until the application answers hangup, bridge or transfer.
   */
  mode: z.enum(['inline', 'control']).default('inline'),
  /** Control mode: most requests per call before the fallback runs. */
  maxSteps: z.number().int().min(1).max(100).default(20),
  method: z.enum(['GET', 'POST']).default('GET'),
  /** POST body: every field of the request, as a form or as one JSON object. */
  body: z.enum(['form', 'json']).default('form'),
  connectTimeoutMs: timeoutMs.default(3000),
  responseTimeoutMs: timeoutMs.default(3000),
  /** Run when the webhook fails in any way. */
  fallback: z.array(actionSchema).min(1).max(64).default(() => DEFAULT_FALLBACK.map((a) => ({ ...a }))),
  /**
   * Only for routes of the public context (`fsConfig.publicContext`): let the webhook's
   * actions dial gateways, line groups or other contexts (e.g. forwarding to mobiles).
   * Default false: such replies are refused and the fallback runs (toll-fraud rule).
   */
  allowOutbound: z.boolean().default(false),
  /** HMAC-SHA256 secret: requests carry X-Freecti-Signature (docs/webhooks.md). */
  secret: z.string().min(16, 'at least 16 characters').max(256).optional(),
});

export type Route = z.infer<typeof routeSchema>;
export type RouteInput = z.input<typeof routeSchema>;
