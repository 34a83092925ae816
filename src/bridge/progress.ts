/**
 * Progress notifications of one bridged call (notify_type 1): `ring` (180), `progress`
 * (183), `answer`, `hangup`, POSTed to the cti_bridge URL with the call's uuid.
 *
 * - derived from the B leg's events (uuid not the A leg's, Other-Leg-Unique-ID = A):
 *   CHANNEL_PROGRESS -> ring, CHANNEL_PROGRESS_MEDIA -> progress, CHANNEL_ANSWER -> answer;
 *   `hangup` once the bridge is over (bridge-call.ts), with the cause;
 * - each at most once and in this order: a stage is dropped when it or a later one was
 *   queued already (a 183 without a 180 gives `progress` only; a failover's second B leg
 *   ringing does not repeat `ring`);
 * - sent one after another by a per-call queue that the call never waits for; a failed
 *   send is retried (unreachable, timeout, 5xx, 429) with the webhook retry delays, then
 *   given up with one warn log line. Later notifications still go out after a give-up.
 */
import type { EslEvent } from '../esl/event.js';
import { isFreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { retryDelay, type RetryPolicy, type WebhookClient } from '../webhook/index.js';
import { baseFields, type CallInfo } from './request.js';

export type Stage = 'ring' | 'progress' | 'answer' | 'hangup';
const RANK: Readonly<Record<Stage, number>> = { ring: 1, progress: 2, answer: 3, hangup: 4 };

/** The stage a B-leg event reports, or undefined (A-leg and unrelated events included). */
export function stageOfEvent(event: EslEvent, aUuid: string): Stage | undefined {
  if (event.uuid === aUuid || event.get('Other-Leg-Unique-ID') !== aUuid) return undefined;
  switch (event.name) {
    case 'CHANNEL_PROGRESS':
      return 'ring';
    case 'CHANNEL_PROGRESS_MEDIA':
      return 'progress';
    case 'CHANNEL_ANSWER':
      return 'answer';
    default:
      return undefined;
  }
}

export interface ProgressNotifierOptions {
  webhooks: WebhookClient;
  url: string;
  /** POST (form body, the default) or GET (the fields in the query string): cti_bridge's `method=`. */
  method?: 'GET' | 'POST';
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  call: CallInfo;
  logger: Logger;
  retry?: RetryPolicy;
}

const DEFAULT_RETRY: Required<Pick<RetryPolicy, 'attempts' | 'initialDelayMs' | 'maxDelayMs'>> = { attempts: 3, initialDelayMs: 200, maxDelayMs: 2000 };

export class ProgressNotifier {
  private last = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly retry: RetryPolicy;

  constructor(private readonly options: ProgressNotifierOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** Queues `stage` unless it or a later stage was queued before. Never throws, never blocks. */
  push(stage: Stage, extra: Readonly<Record<string, string>> = {}): boolean {
    if (RANK[stage] <= this.last) return false;
    this.last = RANK[stage];
    const form = { ...baseFields(stage, this.options.call), ...extra };
    this.queue = this.queue.then(() => this.send(stage, form));
    return true;
  }

  /** Resolves once everything queued so far was sent or given up (for shutdown and tests). */
  drain(): Promise<void> {
    return this.queue;
  }

  private async send(stage: Stage, form: Record<string, string>): Promise<void> {
    const { webhooks, url, connectTimeoutMs, responseTimeoutMs, call, logger } = this.options;
    const body = this.options.method === 'GET' ? { method: 'GET' as const, query: form } : { method: 'POST' as const, form };
    const attempts = Math.max(1, this.retry.attempts ?? 1);
    for (let attempt = 1; ; attempt++) {
      try {
        await webhooks.request({ url, ...body, connectTimeoutMs, responseTimeoutMs, requestId: call.uuid });
        return;
      } catch (error) {
        const retryable = isFreectiError(error) && isRetryable(error.key, Number(error.details?.['status'] ?? 0));
        if (!retryable || attempt >= attempts) {
          logger.warn(
            { uuid: call.uuid, action: stage, attempts: attempt, code: isFreectiError(error) ? error.code : undefined, err: (error as Error).message },
            `cti_bridge notification '${stage}' could not be delivered; given up`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt + 1, this.retry)));
      }
    }
  }
}

function isRetryable(key: string, status: number): boolean {
  if (key === 'WEBHOOK_UNREACHABLE' || key === 'WEBHOOK_TIMEOUT') return true;
  return key === 'WEBHOOK_BAD_STATUS' && (status >= 500 || status === 429);
}
