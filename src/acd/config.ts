/**
 * Validation of queue, agent and tier settings (REST bodies and the `acd` config section
 * share these schemas): every setting has a default, unknown keys are refused.
 * docs/acd.md "Queue settings", "Agent settings and states".
 */
import { z } from 'zod';
import { STRATEGIES, type AgentConfig, type QueueConfig } from './types.js';
import { acdCallsConfigSchema } from './calls/config.js';

/** Queue and agent ids: they become parts of Redis key names and URL paths. */
export const ACD_ID = /^[A-Za-z0-9_.@+-]{1,64}$/;
const id = z.string().regex(ACD_ID, 'letters, digits, _ . @ + - only (1-64 chars)');
const seconds = z.number().int().min(0).max(86_400);
const sound = z.string().min(1).max(512).regex(/^[^\r\n\s]+$/, 'a sound file or stream, no spaces or line breaks');

export const exitSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('queue'), queue: id }),
  z.strictObject({ type: z.literal('number'), number: z.string().regex(/^[0-9*#+]{1,32}$/, 'digits, * # + only'), context: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional() }),
  z.strictObject({ type: z.literal('group'), group: id }),
  z.strictObject({ type: z.literal('hangup'), prompt: sound.optional() }),
]);

export const queueSettingsSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).default('longest-idle-agent'),
  offerTimeoutSec: z.number().int().min(1).max(600).default(20),
  ringProgressivelyDelaySec: z.number().int().min(1).max(600).default(10),
  tierWaitSec: seconds.default(0),
  tierWaitMultiplyLevel: z.boolean().default(false),
  maxWaitSec: seconds.default(0),
  maxWaitNoAgentSec: seconds.nullable().default(null),
  maxLength: z.number().int().min(0).max(1_000_000).default(0),
  exit: exitSchema.default({ type: 'hangup' }),
  exitKeys: z.record(z.string().regex(/^[0-9*#]$/, 'one DTMF digit'), exitSchema).default({}),
  moh: sound.default('local_stream://moh'),
  announcements: z
    .strictObject({
      periodic: sound.nullable().default(null),
      periodicSec: z.number().int().min(5).max(3600).default(60),
      positionSec: seconds.default(0),
      estimatedWait: z.boolean().default(false),
    })
    .prefault({}),
  abandonResumeSec: seconds.default(0),
  callback: z
    .strictObject({
      enabled: z.boolean().default(false),
      key: z.string().regex(/^[0-9*#]$/, 'one DTMF digit').nullable().default(null),
      /** Played to the caller once the callback is taken, before the hangup. */
      prompt: sound.nullable().default(null),
      /** A callback entry not connected within this many seconds of the request leaves (`EXITCALLBACK`, reason `max-age`). */
      maxAgeSec: z.number().int().min(60).max(7 * 86_400).default(3600),
      /** Calls to the customer after the first one that went unanswered; then the entry leaves (`EXITCALLBACK`, reason `no-answer`). */
      retries: z.number().int().min(0).max(20).default(2),
      /** Seconds before an unanswered callback is offered again. */
      retryDelaySec: z.number().int().min(0).max(86_400).default(60),
      /** originate_timeout of the customer leg. */
      ringSec: z.number().int().min(5).max(300).default(30),
      /** How the customer's number is dialled: `user/<n>[@domain]`, `sofia/gateway/<gw>/<n>`, or a line of a line group. */
      via: z
        .discriminatedUnion('type', [
          z.strictObject({ type: z.literal('user'), domain: z.string().regex(/^[A-Za-z0-9_.-]{1,253}$/).optional() }),
          z.strictObject({ type: z.literal('gateway'), gateway: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) }),
          z.strictObject({ type: z.literal('linegroup'), group: id }),
        ])
        .default({ type: 'user' }),
    })
    .refine((c) => !c.enabled || c.key !== null, { message: 'callback.enabled needs callback.key', path: ['key'] })
    .prefault({}),
  shortAbandonSec: seconds.default(5),
  serviceLevelSec: seconds.default(20),
  recordTemplate: z.string().min(1).max(512).regex(/^[^\r\n]+$/).nullable().default(null),
});

export const contactSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('extension'), extension: z.string().regex(/^[A-Za-z0-9_.+-]{1,64}$/), domain: z.string().regex(/^[A-Za-z0-9_.-]{1,253}$/).optional() }),
  z.strictObject({ type: z.literal('dial'), dialString: z.string().min(1).max(1024).regex(/^[^\r\n]+$/) }),
  z.strictObject({ type: z.literal('linegroup'), group: id, number: z.string().regex(/^[0-9*#+]{1,32}$/) }),
]);

export const agentSettingsSchema = z.strictObject({
  name: z.string().max(128).default(''),
  contact: contactSchema,
  skills: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.number().int().min(1).max(100)).default({}),
  wrapUpSec: seconds.default(0),
  maxNoAnswer: z.number().int().min(0).max(100).default(3),
  noAnswerDelaySec: seconds.default(0),
  rejectDelaySec: seconds.default(5),
  busyDelaySec: seconds.default(30),
});

export const tierSchema = z.strictObject({
  level: z.number().int().min(0).max(1000).default(1),
  position: z.number().int().min(0).max(100_000).default(1),
});

/** The `acd` section of the config file (seeded into Redis at start; REST edits win afterwards). */
export const acdConfigSchema = z
  .strictObject({
    queues: z.array(queueSettingsSchema.extend({ name: id, tiers: z.array(tierSchema.extend({ agent: id })).default([]) })).default([]),
    agents: z.array(agentSettingsSchema.extend({ id, state: z.enum(['logged-out', 'available', 'on-break']).optional() })).default([]),
    /** Added to every offer's ring timeout before the engine times the offer out itself (an instance died mid-offer). */
    offerGraceSec: z.number().int().min(1).max(600).default(5),
    /** Entries kept in the queue log stream (approximate, XADD MAXLEN ~). */
    logMaxLen: z.number().int().min(1000).max(10_000_000).default(100_000),
    /** Check that an agent's extension is registered (seed `registrations` hash) before offering. */
    requireRegistration: z.boolean().default(true),
    /** Webhook notified of every queue-log event (signed with `webhookSecret` when set). */
    webhookUrl: z.url({ protocol: /^https?$/ }).nullable().default(null),
    webhookSecret: z.string().min(16).nullable().default(null),
    /** The call half on FreeSWITCH: reaper period, exit context, announcement language (src/acd/calls/config.ts). */
    calls: acdCallsConfigSchema,
  })
  .superRefine((c, ctx) => {
    const agents = new Set(c.agents.map((a) => a.id));
    const queues = new Set<string>();
    c.queues.forEach((q, i) => {
      if (queues.has(q.name)) ctx.addIssue({ code: 'custom', message: `queue '${q.name}' is listed twice`, path: ['queues', i, 'name'] });
      queues.add(q.name);
      q.tiers.forEach((t, j) => {
        if (!agents.has(t.agent)) ctx.addIssue({ code: 'custom', message: `agent '${t.agent}' is not in acd.agents`, path: ['queues', i, 'tiers', j, 'agent'] });
      });
    });
  })
  .prefault({});

export type AcdConfig = z.infer<typeof acdConfigSchema>;

function problem(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseQueue(name: string, body: unknown): ParseResult<QueueConfig> {
  if (!ACD_ID.test(name)) return { ok: false, error: `queue name '${name}': letters, digits, _ . @ + - only (1-64 chars)` };
  const r = queueSettingsSchema.safeParse(body);
  if (!r.success) return { ok: false, error: problem(r.error) };
  return { ok: true, value: { name, ...r.data } as QueueConfig };
}

export function parseAgent(agentId: string, body: unknown): ParseResult<AgentConfig> {
  if (!ACD_ID.test(agentId)) return { ok: false, error: `agent id '${agentId}': letters, digits, _ . @ + - only (1-64 chars)` };
  const r = agentSettingsSchema.safeParse(body);
  if (!r.success) return { ok: false, error: problem(r.error) };
  return { ok: true, value: { id: agentId, ...r.data } as AgentConfig };
}

export function parseTier(body: unknown): ParseResult<{ level: number; position: number }> {
  const r = tierSchema.safeParse(body ?? {});
  if (!r.success) return { ok: false, error: problem(r.error) };
  return { ok: true, value: r.data };
}
