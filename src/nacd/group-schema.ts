/**
 * A nacd group (docs/nacd.md "Groups"): the number a call enters by (a queue number or a
 * DID, mod_nacd's group_number) mapped to the application's callflow URL, its event URL
 * and the call's defaults. Stored in Redis (`{freecti}:nacd:groups`, REST
 * /api/v1/nacd/groups) and seeded from config `nacd.groups`.
 */
import { z } from 'zod';

/** A group number: what `nacd_group` and group_number carry (digits, letters, `_ . + -`). */
export const GROUP_NUMBER = /^[A-Za-z0-9_.+-]{1,64}$/;

const httpUrl = z.url({ protocol: /^https?$/ });

/** What the caller gets when the application fails (invalid, late or unreachable reply). */
export const fallbackSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hangup'),
    /** Played before the hangup (a sound file; default: nacd.fallbackPrompt). */
    prompt: z.string().min(1).max(1024).optional(),
  }),
  z.strictObject({
    type: z.literal('queue'),
    queue: z.string().regex(/^[A-Za-z0-9_.@+-]{1,64}$/, 'letters, digits, _ . @ + - (1-64)'),
    priority: z.number().int().min(0).max(100).optional(),
  }),
]);

export type NacdFallback = z.infer<typeof fallbackSchema>;

export const groupSchema = z.strictObject({
  /** Where the callflow requests are POSTed (the seed's httpCallFlowHandler). */
  callflowUrl: httpUrl,
  /** Where the events are POSTed (the seed's pushEventHandler); none: no event push. */
  eventUrl: httpUrl.nullable().default(null),
  /** Signs requests and events (X-Freecti-Signature, docs/webhooks.md); none: nacd.secret. */
  secret: z.string().min(16).nullable().default(null),
  connectTimeoutMs: z.number().int().min(1).max(60_000).default(3000),
  /** A callflow reply later than this is a failure: the fallback runs. */
  responseTimeoutMs: z.number().int().min(1).max(60_000).default(3000),
  /** Callflow requests one call may make (a loop of playback replies ends here, with the fallback). */
  maxRequests: z.number().int().min(1).max(1000).default(50),
  /** Tries of a `dtmf` action (dtmf_bad_audio between them). */
  dtmfTries: z.number().int().min(1).max(10).default(3),
  /** Time to enter the digits of one try (ms). */
  dtmfTimeoutMs: z.number().int().min(1000).max(120_000).default(5000),
  /** Seconds a bridge rings when the reply has no ad_timeout. */
  defaultTimeoutSec: z.number().int().min(1).max(600).default(30),
  fallback: fallbackSchema.default({ type: 'hangup' }),
});

export type NacdGroupInput = z.input<typeof groupSchema>;
export type NacdGroup = z.infer<typeof groupSchema>;
