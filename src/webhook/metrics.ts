/**
 * Webhook metrics, labelled by `target` = URL origin + path (never the query, which
 * carries numbers). Past MAX_TARGETS distinct targets, new ones count as `other`, so a
 * URL template with ids in its path cannot blow up the registry.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export type WebhookOutcome = 'ok' | 'unreachable' | 'timeout' | 'bad_status' | 'bad_reply';

const MAX_TARGETS = 200;

export interface WebhookMetrics {
  observe(target: string, outcome: WebhookOutcome, seconds: number): void;
  retried(target: string): void;
  dropped(target: string, reason: 'gave_up' | 'queue_full'): void;
}

/** The metric already in `registry` under that name (a second client on one registry), else a new one. */
function existing<T>(registry: Registry | undefined, name: string): T | undefined {
  return registry?.getSingleMetric(name) as T | undefined;
}

export function createWebhookMetrics(registry: Registry | undefined): WebhookMetrics {
  const registers = registry === undefined ? [] : [registry];
  const requests = existing<Counter>(registry, 'freecti_webhook_requests_total') ?? new Counter({
    name: 'freecti_webhook_requests_total',
    help: 'Webhook requests by target (origin + path) and outcome (ok, unreachable, timeout, bad_status, bad_reply).',
    labelNames: ['target', 'outcome'],
    registers,
  });
  const duration = existing<Histogram>(registry, 'freecti_webhook_request_duration_seconds') ?? new Histogram({
    name: 'freecti_webhook_request_duration_seconds',
    help: 'Webhook request latency, from the call to the last body byte, by target and outcome.',
    labelNames: ['target', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const retries = existing<Counter>(registry, 'freecti_webhook_retries_total') ?? new Counter({
    name: 'freecti_webhook_retries_total',
    help: 'Notification retries by target.',
    labelNames: ['target'],
    registers,
  });
  const drops = existing<Counter>(registry, 'freecti_webhook_notifications_dropped_total') ?? new Counter({
    name: 'freecti_webhook_notifications_dropped_total',
    help: 'Notifications given up after all attempts (gave_up) or refused because too many were pending (queue_full).',
    labelNames: ['target', 'reason'],
    registers,
  });
  const known = new Set<string>();
  const label = (target: string): string => {
    if (known.has(target)) return target;
    if (known.size >= MAX_TARGETS) return 'other';
    known.add(target);
    return target;
  };
  return {
    observe(target, outcome, seconds) {
      const t = label(target);
      requests.inc({ target: t, outcome });
      duration.observe({ target: t, outcome }, seconds);
    },
    retried(target) {
      retries.inc({ target: label(target) });
    },
    dropped(target, reason) {
      drops.inc({ target: label(target), reason });
    },
  };
}
