/**
 * Event push to a group's event URL (the seed's pushEventHandler): incoming, callout,
 * answered, hangup, canceled, dtmf, each the seed's EventRequest. Sent through the shared
 * webhook client's `notify`: it returns at once (the call never waits), retries in the
 * background, signs with the group's secret. Each occurrence is pushed once, under one
 * X-Request-Id (`<call uuid>:<n>:<event>`, the same on every retry, for the application
 * to drop a repeat); `hangup`/`canceled` end the call's events: one of them, once.
 */
import type { WebhookClient } from '../webhook/types.js';
import type { NacdRequest } from './wire.js';

export type PushedEvent = 'incoming' | 'callout' | 'answered' | 'hangup' | 'canceled' | 'dtmf';

export class EventPush {
  private sequence = 0;
  private ended = false;

  constructor(
    private readonly webhooks: WebhookClient,
    private readonly url: string | null,
    private readonly secret: string | null,
    private readonly connectTimeoutMs: number,
  ) {}

  /** Pushes one event (no-op without an event URL or after the call's last event). */
  push(event: PushedEvent, request: NacdRequest): void {
    if (this.url === null || this.ended) return;
    if (event === 'hangup' || event === 'canceled') this.ended = true;
    this.sequence += 1;
    this.webhooks.notify(
      {
        url: this.url,
        method: 'POST',
        json: { ...request, event, timestamp: String(Math.floor(Date.now() / 1000)) },
        requestId: `${request.call_uuid}:${this.sequence}:${event}`,
        connectTimeoutMs: this.connectTimeoutMs,
        ...(this.secret === null ? {} : { secret: this.secret }),
      },
      { attempts: 3 },
    );
  }
}
