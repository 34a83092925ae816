/**
 * Turns whatever went wrong during one webhook exchange into one of the four typed
 * failures: WEBHOOK_UNREACHABLE / WEBHOOK_TIMEOUT / WEBHOOK_BAD_STATUS / WEBHOOK_BAD_REPLY.
 * `details.reason` is a short machine-readable word for logs.
 */
import { FreectiError } from '../errors.js';
import type { WebhookOutcome } from './metrics.js';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export function webhookFailure(key: 'WEBHOOK_UNREACHABLE' | 'WEBHOOK_TIMEOUT' | 'WEBHOOK_BAD_STATUS' | 'WEBHOOK_BAD_REPLY', target: string, reason: string, extra: Record<string, unknown> = {}, cause?: unknown): FreectiError {
  return new FreectiError(key, `webhook ${target}: ${reason}`, { details: { target, reason, ...extra }, cause });
}

/** Maps an error thrown by undici (or by our own abort timer) to a typed failure. */
export function classifyError(error: unknown, target: string, timedOut: boolean, callerAborted: boolean): FreectiError {
  if (error instanceof FreectiError) return error;
  const code = errorCode(error);
  if (timedOut) return webhookFailure('WEBHOOK_TIMEOUT', target, 'response timeout', {}, error);
  if (callerAborted) return webhookFailure('WEBHOOK_TIMEOUT', target, 'aborted', {}, error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return webhookFailure('WEBHOOK_TIMEOUT', target, 'connect timeout', {}, error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return webhookFailure('WEBHOOK_TIMEOUT', target, 'response timeout', {}, error);
  const text = code ?? (error instanceof Error ? error.message : String(error));
  return webhookFailure('WEBHOOK_UNREACHABLE', target, text, {}, error);
}

export function outcomeOf(error: FreectiError): WebhookOutcome {
  switch (error.key) {
    case 'WEBHOOK_TIMEOUT':
      return 'timeout';
    case 'WEBHOOK_BAD_STATUS':
      return 'bad_status';
    case 'WEBHOOK_BAD_REPLY':
      return 'bad_reply';
    default:
      return 'unreachable';
  }
}

/** undici puts the code on the error or on its cause (connect errors: ECONNREFUSED). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
