/**
 * The shared webhook client (docs/webhooks.md): undici, one Agent for every origin
 * (agent.ts: a pool per origin only while it has connections), timeouts per request (no
 * socket within the connect timeout, no headers or body within the response timeout, the
 * whole exchange within both), a body size limit,
 * JSON or form bodies, an `X-Request-Id`, optional HMAC signatures, metrics per target,
 * and exactly four typed failures. `notify` adds background retries (notifier.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Registry } from 'prom-client';
import type { FreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createWebhookAgent, ON_SOCKET, withSocketNotice, type SocketNoticeOptions, type WebhookAgentOptions } from './agent.js';
import { encodeForm, parseUrl, targetOf, targetOfUrl, withQuery } from './encode.js';
import { classifyError, outcomeOf, webhookFailure } from './failure.js';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.js';
import { createNotifier } from './notifier.js';
import { signatureHeaders } from './signature.js';
import type { WebhookClient, WebhookRequest, WebhookResponse } from './types.js';

export interface WebhookClientOptions extends WebhookAgentOptions {
  /**
   * The one Agent of the service (createWebhookAgent, built by src/services.ts, closed by
   * its owner). Without one, the client builds its own from the agent options and closes it.
   */
  dispatcher?: Dispatcher;
  /** Metrics are registered here (the service's registry from src/metrics.ts). */
  registry?: Registry;
  logger?: Logger;
  connectTimeoutMs?: number;
  responseTimeoutMs?: number;
  maxBodyBytes?: number;
  /** Notifications pending at once; more are dropped and logged. Default 10000. */
  maxPendingNotifications?: number;
}

export function createWebhookClient(options: WebhookClientOptions = {}): WebhookClient {
  const defaults = {
    connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    responseTimeoutMs: options.responseTimeoutMs ?? 3000,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
  };
  const metrics: WebhookMetrics = createWebhookMetrics(options.registry);
  const ownAgent = options.dispatcher === undefined ? createWebhookAgent(options) : undefined;
  const dispatcher: Dispatcher = withSocketNotice(options.dispatcher ?? (ownAgent as Dispatcher));
  let closed = false;

  const request = async (req: WebhookRequest): Promise<WebhookResponse> => {
    const started = performance.now();
    // Parsed once: the metrics target and the request URL come from the same parse.
    const parsed = parseUrl(req.url);
    const target = targetOfUrl(parsed);
    const requestId = req.requestId ?? randomUUID();
    try {
      const response = await exchange(req, parsed, target, requestId, started);
      metrics.observe(target, 'ok', response.durationMs / 1000);
      return response;
    } catch (error) {
      const failure = error as FreectiError;
      metrics.observe(target, outcomeOf(failure), (performance.now() - started) / 1000);
      throw failure;
    }
  };

  const exchange = async (req: WebhookRequest, parsed: URL | undefined, target: string, requestId: string, started: number): Promise<WebhookResponse> => {
    if (closed) throw webhookFailure('WEBHOOK_UNREACHABLE', target, 'client closed');
    const url = withQuery(parsed, req.query);
    if (url === undefined) throw webhookFailure('WEBHOOK_UNREACHABLE', target, 'invalid url (absolute http or https, no credentials)');
    const connectTimeoutMs = req.connectTimeoutMs ?? defaults.connectTimeoutMs;
    const responseTimeoutMs = req.responseTimeoutMs ?? defaults.responseTimeoutMs;
    const maxBodyBytes = req.maxBodyBytes ?? defaults.maxBodyBytes;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'freecti-webhook', ...req.headers, 'x-request-id': requestId };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    } else if (req.form !== undefined) {
      body = encodeForm(req.form);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const method = req.method ?? (body === undefined ? 'GET' : 'POST');
    const path = `${url.pathname}${url.search}`;
    if (req.secret !== undefined && req.secret !== '') Object.assign(headers, signatureHeaders(req.secret, body ?? path));

    const controller = new AbortController();
    let timedOut = false;
    let callerAborted = false;
    let connectTimedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, connectTimeoutMs + responseTimeoutMs);
    // No socket (new or kept alive) within the connect timeout: the origin does not accept.
    const connectTimer = setTimeout(() => {
      connectTimedOut = true;
      controller.abort();
    }, connectTimeoutMs);
    const onSocket = (): void => clearTimeout(connectTimer);
    const onAbort = (): void => {
      callerAborted = true;
      controller.abort();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (req.signal?.aborted === true) onAbort();
    try {
      const requestOptions: SocketNoticeOptions = {
        origin: url.origin,
        path,
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: controller.signal,
        headersTimeout: responseTimeoutMs,
        bodyTimeout: responseTimeoutMs,
        [ON_SOCKET]: onSocket,
      };
      const res = await untilAborted(dispatcher.request(requestOptions), controller.signal);
      if (res.statusCode < 200 || res.statusCode > 299) {
        await res.body.dump({ limit: maxBodyBytes }).catch(() => undefined);
        throw webhookFailure('WEBHOOK_BAD_STATUS', target, `status ${res.statusCode}`, { status: res.statusCode });
      }
      const text = await readText(res.body, maxBodyBytes, target);
      return {
        status: res.statusCode,
        headers: flattenHeaders(res.headers),
        body: text,
        durationMs: performance.now() - started,
        requestId,
      };
    } catch (error) {
      if (connectTimedOut && !timedOut && !callerAborted) throw webhookFailure('WEBHOOK_TIMEOUT', target, 'connect timeout', {}, error);
      throw classifyError(error, target, timedOut, callerAborted);
    } finally {
      clearTimeout(timer);
      clearTimeout(connectTimer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  };

  const requestJson = async (req: WebhookRequest): Promise<{ response: WebhookResponse; data: unknown }> => {
    const response = await request(req);
    try {
      return { response, data: JSON.parse(response.body) as unknown };
    } catch {
      throw webhookFailure('WEBHOOK_BAD_REPLY', targetOf(req.url), 'body is not JSON', { status: response.status });
    }
  };

  const notifier = createNotifier({
    send: request,
    metrics,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    maxPending: options.maxPendingNotifications ?? 10_000,
  });

  return {
    request,
    requestJson,
    notify: (req, retry) => notifier.notify(req, retry),
    pendingNotifications: () => notifier.pending(),
    async close(graceMs = 2000) {
      await notifier.close(graceMs);
      closed = true;
      await ownAgent?.close().catch(() => undefined);
    },
  };
}

/**
 * `pending`, or a rejection as soon as `signal` aborts. undici only cancels a request that
 * waits for a socket (its pool busy, or connecting) once it gets one, so a timeout must
 * not wait for undici: the request is left to fail in the background (it is aborted the
 * moment it gets a socket; a connect attempt ends after webhook.maxConnectMs).
 */
function untilAborted<T extends { body: Readable }>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    pending.then((res) => res.body.destroy(), () => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      pending.then((res) => res.body.destroy(), () => undefined);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (res) => {
        signal.removeEventListener('abort', onAbort);
        resolve(res);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/**
 * The body as UTF-8 text, refusing more than `maxBytes` (plain listeners: cheaper per
 * request than `for await`). A body that closes before its end fails like `for await`.
 */
function readText(body: Readable, maxBytes: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        body.destroy();
        fail(webhookFailure('WEBHOOK_BAD_REPLY', target, `body larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    body.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    body.on('error', fail);
    body.on('close', () => {
      if (!settled) fail(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
