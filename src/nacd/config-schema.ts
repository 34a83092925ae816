/** The `nacd` configuration section: mod_nacd's HTTP callflow (seed 004, docs/nacd.md). */
import { z } from 'zod';
import { GROUP_NUMBER, fallbackSchema, groupSchema } from './group-schema.js';

export const nacdConfigSchema = z
  .strictObject({
    /** Groups seeded into Redis at start (a group already there is kept: REST changes win). */
    groups: z
      .record(z.string().regex(GROUP_NUMBER, 'a group number: letters, digits, _ . + - (1-64)'), groupSchema)
      .default({}),
    /** Signs callflow requests and events of groups without their own secret; none: unsigned. */
    secret: z.string().min(16).nullable().default(null),
    /**
     * The sound file of one digit for after_bridge (the agent id spoken digit by digit):
     * `{digit}` is replaced by 0-9 (mod_nacd's voices/ directory holds such files).
     */
    digitSound: z
      .string()
      .min(1)
      .refine((v) => v.includes('{digit}'), 'must contain {digit}')
      .default('digits/{digit}.wav'),
    /** Played before hanging up when the application fails and the group's fallback names no prompt. */
    fallbackPrompt: z.string().min(1).default('ivr/ivr-call_cannot_be_completed_as_dialed.wav'),
    /** Fallback of a call whose nacd_group names no group. */
    fallback: fallbackSchema.default({ type: 'hangup' }),
    /** Survey prompt and its bad-entry prompt when a reply's survey_ring is empty. */
    surveyPrompt: z.string().min(1).default('ivr/ivr-please_rate_our_service.wav'),
    surveyBadPrompt: z.string().min(1).default('ivr/ivr-that_was_an_invalid_entry.wav'),
    /** Keys a survey accepts (a regular expression over one digit). */
    surveyDigits: z.string().regex(/^[0-9*#\\\-[\]]{1,20}$/).default('[1-5]'),
    /** Cap of the nwaycallout event stream `{freecti:callout}:events` (entries, XADD MAXLEN ~; docs/nacd.md "nwaycallout"). */
    calloutEventsMaxLen: z.number().int().min(100).max(10_000_000).default(10_000),
  })
  .prefault({});

export type NacdConfig = z.infer<typeof nacdConfigSchema>;
