/**
 * The one place that turns an error into an HTTP response. Every error body is
 * FreectiError.toJSON(): `{"error": {"code": "FREECTI_ERR_...", "message": "..."}}`.
 *
 * - FreectiError: its own status and body (5xx ones are logged at warn);
 * - a Redis that did not answer (closed, timed out: redis.commandTimeoutMs, failing
 *   over): 503 FREECTI_ERR_REDIS_UNAVAILABLE (src/redis.ts isRedisUnavailable);
 * - fastify validation errors, zod errors and other fastify client errors (bad JSON,
 *   unsupported media type, body too large): 400 FREECTI_ERR_BAD_REQUEST;
 * - anything else: 500 FREECTI_ERR_INTERNAL, logged with its stack; the client gets no
 *   detail.
 * Unknown routes answer 404 FREECTI_ERR_NOT_FOUND.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { FreectiError } from '../errors.js';
import { redisError } from '../redis.js';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toFreectiError(error);
    if (mapped.key === 'INTERNAL') {
      request.log.error({ err: error, method: request.method, url: request.url }, 'request failed with an unexpected error');
    } else if (mapped.status >= 500) {
      request.log.warn({ code: mapped.code, err: mapped.message, method: request.method, url: request.url }, 'request failed');
    }
    return reply.status(mapped.status).type('application/json; charset=utf-8').send(mapped.toJSON());
  });
  app.setNotFoundHandler(async (request, reply) => {
    const error = new FreectiError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`);
    return reply.status(error.status).send(error.toJSON());
  });
}

/** Maps any thrown value to the FreectiError the client sees. */
export function toFreectiError(error: unknown): FreectiError {
  if (error instanceof FreectiError) return error;
  const redis = redisError(error);
  if (redis instanceof FreectiError) return redis;
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.map(String).join('.')}: `;
    return new FreectiError('BAD_REQUEST', `${where}${issue?.message ?? 'invalid input'}`);
  }
  if (isFastifyError(error)) {
    if (error.validation !== undefined) return new FreectiError('BAD_REQUEST', error.message);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return new FreectiError('BAD_REQUEST', error.message);
  }
  return new FreectiError('INTERNAL');
}

function isFastifyError(error: unknown): error is FastifyError {
  const code = (error as Partial<FastifyError> | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('FST_');
}
