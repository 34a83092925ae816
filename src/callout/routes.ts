/**
 * The nwaycallout API (admin key), docs/nacd.md "nwaycallout":
 *   POST   /api/v1/nacd/callouts        start a campaign (201, the campaign)
 *   GET    /api/v1/nacd/callouts/:id    its state and each number's outcome (any instance)
 *   DELETE /api/v1/nacd/callouts/:id    stop it (202, the state when asked; GET shows `stopped` once done)
 * The service comes from the composition root (deps.services.callouts).
 */
import { z } from 'zod';
import { ADMIN_SECURITY_SCHEME, adminKeyHook } from '../auth/admin-auth.js';
import { errorResponse, type OpenApi } from '../http/openapi.js';
import type { AppPlugin } from '../http/route-deps.js';
import { assertRedisReady } from '../redis.js';
import { calloutRequestSchema } from './schema.js';

const idOf = (params: unknown): string => (params as { id?: string }).id ?? '';

const resultSchema = {
  type: 'object',
  properties: {
    number: { type: 'string' },
    outcome: { type: 'string', enum: ['answered', 'busy', 'no-answer', 'failed', 'cancelled'] },
    cause: { type: 'string', description: 'The FreeSWITCH cause of a failed call (RUNNER_LOST: its runner died while it rang)' },
    uuid: { type: 'string' },
    dialledAt: { type: 'number', description: 'ms epoch' },
    at: { type: 'number', description: 'ms epoch' },
  },
  required: ['number', 'outcome', 'uuid', 'at'],
};

function documentCalloutApi(openapi: OpenApi): void {
  const { $schema: _drop, ...input } = z.toJSONSchema(calloutRequestSchema, { io: 'input' }) as Record<string, unknown>;
  const request = openapi.addSchema('NacdCalloutRequest', input);
  const campaign = openapi.addSchema('NacdCallout', {
    type: 'object',
    properties: {
      id: { type: 'string' },
      request,
      state: { type: 'string', enum: ['running', 'done', 'stopped'] },
      createdAt: { type: 'number' },
      next: { type: 'integer', description: 'Index of the next number to dial' },
      dialing: { type: 'object', additionalProperties: { type: 'string' }, description: 'Number index -> call uuid, ringing now' },
      results: { type: 'array', items: resultSchema },
    },
  });
  const security = [{ [ADMIN_SECURITY_SCHEME]: [] }];
  const common = { '401': errorResponse('Missing or wrong admin key'), '503': errorResponse('No admin key configured, or Redis unavailable') };
  const json = (schema: unknown): Record<string, unknown> => ({ 'application/json': { schema } });
  const id = { name: 'id', in: 'path', required: true, description: 'The campaign id', schema: { type: 'string' } };
  openapi.addPath('/api/v1/nacd/callouts', 'post', {
    summary: 'Start an outbound campaign (nwaycallout)',
    operationId: 'nacdStartCallout',
    tags: ['nacd'],
    security,
    requestBody: { required: true, content: json(request) },
    responses: { '201': { description: 'Started', content: json(campaign) }, '400': errorResponse('Invalid campaign'), '404': errorResponse('No such line group'), ...common },
  });
  openapi.addPath('/api/v1/nacd/callouts/{id}', 'get', { summary: 'A campaign and its outcomes', operationId: 'nacdGetCallout', tags: ['nacd'], security, parameters: [id], responses: { '200': { description: 'The campaign', content: json(campaign) }, '404': errorResponse('No such campaign'), ...common } });
  openapi.addPath('/api/v1/nacd/callouts/{id}', 'delete', { summary: 'Stop a campaign', operationId: 'nacdStopCallout', tags: ['nacd'], security, parameters: [id], responses: { '202': { description: 'Stop asked; the campaign as it was', content: json(campaign) }, '404': errorResponse('No such campaign'), ...common } });
}

export const calloutRoutes: AppPlugin = async (app, deps) => {
  const { config, redis } = deps;
  const callouts = deps.services.callouts;
  documentCalloutApi(deps.openapi);
  await app.register(async (api) => {
    api.addHook('onRequest', adminKeyHook(config.admin.keys));
    api.addHook('preHandler', async () => assertRedisReady(redis));
    api.post('/api/v1/nacd/callouts', async (request, reply) => reply.code(201).send(await callouts.start(request.body)));
    api.get('/api/v1/nacd/callouts/:id', async (request) => callouts.get(idOf(request.params)));
    api.delete('/api/v1/nacd/callouts/:id', async (request, reply) => reply.code(202).send(await callouts.stop(idOf(request.params))));
  });
};
