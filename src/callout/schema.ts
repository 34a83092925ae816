/**
 * An outbound campaign (`nwaycallout`, docs/nacd.md "nwaycallout"): the numbers to dial,
 * where an answered call goes (a nacd group or an ACD queue), which line group or gateway
 * dials, the pace and the limits. Validated once at the REST edge; the stored copy is the
 * same shape (`CalloutCampaign`).
 */
import { z } from 'zod';

const NAME = /^[A-Za-z0-9_.+-]{1,64}$/;
const QUEUE = /^[A-Za-z0-9_.@+-]{1,64}$/;
const NUMBER = z.string().regex(/^\+?[0-9*#]{1,32}$/, 'a number is digits, * and # (an optional leading +), 1-32');

/** Numbers in one request (POST a campaign, or append to one). */
export const MAX_NUMBERS_PER_REQUEST = 100_000;
/** Numbers one campaign may hold, appends included. */
export const MAX_NUMBERS_PER_CAMPAIGN = 1_000_000;
/** HTTP body limit of those two routes: 100,000 numbers of 32 characters, quoted, plus the rest. */
export const CALLOUT_BODY_LIMIT = 4 * 1024 * 1024;

export const calloutRequestSchema = z
  .object({
    numbers: z.array(NUMBER).min(1).max(MAX_NUMBERS_PER_REQUEST),
    group: z.string().regex(NAME).optional(),
    queue: z.string().regex(QUEUE).optional(),
    linegroup: z.string().regex(NAME).optional(),
    gateway: z.string().regex(NAME).optional(),
    callerId: z.string().regex(/^\+?[0-9*#]{1,32}$/, 'callerId is digits, * and # (an optional leading +)'),
    ratePerSec: z.number().min(0.01).max(100),
    maxConcurrent: z.number().int().min(1).max(1000),
    ringSec: z.number().int().min(1).max(300).default(30),
    eventUrl: z.url({ protocol: /^https?$/ }).optional(),
    eventSecret: z.string().min(1).max(256).optional(),
  })
  .strict()
  .refine((v) => (v.group === undefined) !== (v.queue === undefined), { message: 'exactly one of group or queue' })
  .refine((v) => (v.linegroup === undefined) !== (v.gateway === undefined), { message: 'exactly one of linegroup or gateway' });

export type CalloutRequest = z.infer<typeof calloutRequestSchema>;
/** A campaign's settings as stored (the numbers are kept apart, in a list). */
export type CalloutSettings = Omit<CalloutRequest, 'numbers'>;

/** `POST /api/v1/nacd/callouts/{id}/numbers`. */
export const calloutAppendSchema = z.object({ numbers: z.array(NUMBER).min(1).max(MAX_NUMBERS_PER_REQUEST) }).strict();

/** What became of one number. */
export type CalloutOutcome = 'answered' | 'busy' | 'no-answer' | 'failed' | 'cancelled';

export interface CalloutResult {
  number: string;
  outcome: CalloutOutcome;
  /** The FreeSWITCH cause (`-ERR <cause>`), absent for answered. */
  cause?: string;
  /** The call's uuid (origination_uuid). */
  uuid: string;
  /** When it was dialled (ms epoch; absent for a number never dialled). */
  dialledAt?: number;
  /** When the outcome was known (ms epoch). */
  at: number;
}

export type CalloutState = 'running' | 'done' | 'stopped';

export type CalloutCounts = Record<CalloutOutcome, number>;

/** A campaign as GET shows it: its state, counts and one page of outcomes. */
export interface CalloutCampaign {
  id: string;
  request: CalloutSettings;
  state: CalloutState;
  createdAt: number;
  /** Numbers in the campaign (appends included). */
  total: number;
  /** Index of the next number to dial. */
  next: number;
  /** Numbers being dialled now: number index -> call uuid. */
  dialing: Record<string, string>;
  /** Outcomes so far, by kind. */
  counts: CalloutCounts;
  /** Outcomes recorded so far (the length of the outcome list). */
  resultCount: number;
  /** One page of the outcome list, in the order they were recorded, from `cursor`. */
  results: CalloutResult[];
  /** Where the next page starts; null once the campaign has ended and this page reached the end. */
  nextCursor: string | null;
}
