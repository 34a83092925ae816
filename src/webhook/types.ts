/**
 * The contract of the shared webhook client (docs/webhooks.md). Every feature that
 * calls a business application over HTTP (routing, bridge, ACD callflow, events)
 * goes through one WebhookClient.
 */

export type WebhookMethod = 'GET' | 'POST';

export interface WebhookRequest {
  /** Absolute `http:` or `https:` URL. */
  url: string;
  /** Default: POST when `json` or `form` is given, else GET. */
  method?: WebhookMethod;
  /** Extra query parameters, url-encoded and appended to `url`. */
  query?: Readonly<Record<string, string>>;
  /** JSON body (`Content-Type: application/json`). */
  json?: unknown;
  /** Form body (`Content-Type: application/x-www-form-urlencoded`). */
  form?: Readonly<Record<string, string>>;
  /** Extra request headers. */
  headers?: Readonly<Record<string, string>>;
  /** TCP (+TLS) connect timeout. Default from the client options (3000). */
  connectTimeoutMs?: number;
  /** Time allowed for the whole response, headers and body. Default 3000. */
  responseTimeoutMs?: number;
  /** Larger response bodies fail with WEBHOOK_BAD_REPLY. Default from the client (64 KiB). */
  maxBodyBytes?: number;
  /** When set, the request carries `X-Freecti-Timestamp` and `X-Freecti-Signature`. */
  secret?: string;
  /** Sent as `X-Request-Id` (e.g. the call uuid). Default: a random UUID. */
  requestId?: string;
  /** Aborting fails the request with WEBHOOK_TIMEOUT (reason `aborted`). */
  signal?: AbortSignal;
}

export interface WebhookResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with `, `. */
  headers: Readonly<Record<string, string>>;
  /** The body as UTF-8 text. */
  body: string;
  /** Milliseconds from the call to the last body byte. */
  durationMs: number;
  requestId: string;
}

/** How `notify` retries a failed notification (in the background). */
export interface RetryPolicy {
  /** Total attempts, first one included. Default 3. */
  attempts?: number;
  /** Delay before the 2nd attempt; doubles each time, with jitter. Default 200 ms. */
  initialDelayMs?: number;
  /** Cap of the delay. Default 5000 ms. */
  maxDelayMs?: number;
  /** Retry 4xx replies too (default: only timeouts, unreachable and 5xx are retried). */
  retryClientErrors?: boolean;
}

export interface WebhookClient {
  /** One exchange. Resolves for 2xx; otherwise throws FreectiError WEBHOOK_* and nothing else. */
  request(request: WebhookRequest): Promise<WebhookResponse>;
  /** `request`, then the body parsed as JSON (WEBHOOK_BAD_REPLY when it is not JSON). */
  requestJson(request: WebhookRequest): Promise<{ response: WebhookResponse; data: unknown }>;
  /**
   * Fire-and-forget notification: returns at once, retries with backoff per `retry`
   * in the background, logs one line when it finally fails. Never throws.
   */
  notify(request: WebhookRequest, retry?: RetryPolicy): void;
  /** Notifications started and not finished yet. */
  pendingNotifications(): number;
  /** Waits for pending notifications (up to `graceMs`, default 2000), then closes its own agent (one passed in is closed by its owner). */
  close(graceMs?: number): Promise<void>;
}
