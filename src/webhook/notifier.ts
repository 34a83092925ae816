/**
 * Background notifications with retries: `notify` returns at once (a call never waits
 * for a notification), attempts are retried with exponential backoff and jitter, and a
 * notification that finally fails is logged in one line and counted.
 */
import type { FreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { targetOf } from './encode.js';
import type { WebhookMetrics } from './metrics.js';
import type { RetryPolicy, WebhookRequest, WebhookResponse } from './types.js';

interface NotifierDeps {
  send(request: WebhookRequest): Promise<WebhookResponse>;
  metrics: WebhookMetrics;
  logger?: Logger;
  maxPending: number;
}

export interface Notifier {
  notify(request: WebhookRequest, retry?: RetryPolicy): void;
  pending(): number;
  /** Stops retrying, waits up to `graceMs` for attempts in flight. */
  close(graceMs: number): Promise<void>;
}

/** Delay before attempt `attempt` (2 = first retry): doubling, capped, half of it random. */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs ?? 5000, (policy.initialDelayMs ?? 200) * 2 ** Math.max(0, attempt - 2));
  return Math.round(base / 2 + (random() * base) / 2);
}

function retryable(error: FreectiError, policy: RetryPolicy): boolean {
  if (error.key !== 'WEBHOOK_BAD_STATUS') return error.key !== 'WEBHOOK_BAD_REPLY';
  const status = Number(error.details?.['status'] ?? 0);
  return status >= 500 || status === 429 || (policy.retryClientErrors === true && status >= 400);
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const inFlight = new Set<Promise<void>>();
  const stop = new AbortController();
  const log = deps.logger?.child({ component: 'webhook' });

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stop.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        stop.signal.removeEventListener('abort', done);
        resolve();
      }
      stop.signal.addEventListener('abort', done, { once: true });
    });

  const run = async (request: WebhookRequest, policy: RetryPolicy): Promise<void> => {
    const attempts = Math.max(1, policy.attempts ?? 3);
    const target = targetOf(request.url);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await deps.send(request);
        return;
      } catch (error) {
        const failure = error as FreectiError;
        if (attempt >= attempts || !retryable(failure, policy) || stop.signal.aborted) {
          deps.metrics.dropped(target, 'gave_up');
          log?.warn({ requestId: request.requestId, target, attempts: attempt, code: failure.code, reason: failure.message }, 'webhook notification failed, giving up');
          return;
        }
        deps.metrics.retried(target);
        await sleep(retryDelay(attempt + 1, policy));
      }
    }
  };

  return {
    notify(request, retry = {}) {
      if (stop.signal.aborted || inFlight.size >= deps.maxPending) {
        const target = targetOf(request.url);
        deps.metrics.dropped(target, 'queue_full');
        log?.warn({ requestId: request.requestId, target, pending: inFlight.size }, 'webhook notification dropped: too many pending or client closing');
        return;
      }
      const task: Promise<void> = run(request, retry).finally(() => inFlight.delete(task));
      inFlight.add(task);
    },
    pending: () => inFlight.size,
    async close(graceMs) {
      stop.abort();
      if (inFlight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      clearTimeout(timer);
    },
  };
}
